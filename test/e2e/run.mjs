// End-to-end tests drive the desktop app's renderer in Chromium through the headless console.
// The app does not exist yet (the desktop-app issue builds it), so there is nothing to drive.
console.log('test:e2e: no end-to-end suite yet (the app is not built yet)');
