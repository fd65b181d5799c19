import { expect, screenshot, test } from './console-fixture.js';

test.describe('first run', () => {
  test('a new user creates the sample VM, backs it up from the Dashboard and sees the image and dedup ratio', async ({
    app,
    page,
  }, testInfo) => {
    await page.goto(app.url);
    const welcome = page.getByTestId('welcome-panel');
    await expect(welcome).toBeVisible();
    await screenshot(page, testInfo, 'dashboard-first-run');

    await page.getByTestId('create-sample').click();
    await expect(page.getByTestId('sample-created')).toContainText('Tessera Sample VM');
    const row = page.locator('[data-testid="vm-row"][data-vm-name="Tessera Sample VM"]');
    await expect(row).toBeVisible();
    await expect(row.getByTestId('vm-last-status')).toContainText('Never');

    await page.getByTestId('sample-backup-now').click();
    await expect(page.getByTestId('sample-backup-started')).toBeVisible();
    // The VM's last attempt turns green and the storage tiles count the image.
    await expect(row.getByTestId('vm-last-status').locator('.badge')).toHaveAttribute(
      'data-severity',
      'ok',
    );
    await expect(page.getByTestId('tile-images')).toContainText('1');
    await expect(page.getByTestId('tile-dedup')).toContainText('×');
    const ratio = Number(
      (await page.getByTestId('tile-dedup').innerText())
        .match(/([\d.,]+)×/)?.[1]
        ?.replaceAll(',', ''),
    );
    // 32 MiB of sample disk stored in well under 1 MiB: the ratio is far above 1.
    expect(ratio).toBeGreaterThan(10);
    await expect(row.getByTestId('vm-last-backup')).toContainText(/ago|just now/);
    await screenshot(page, testInfo, 'dashboard-after-backup');
  });

  test('a one-click backup of one VM from the Dashboard runs a compound job', async ({
    app,
    page,
    request,
  }, testInfo) => {
    await app.makeVm('web01');
    await app.makeVm('db01', { format: 'vpc' });
    const headers = { authorization: `Bearer ${new URL(app.url).searchParams.get('token')}` };
    const added = await request.post(`${app.origin}/api/inventory.addSource`, {
      headers,
      data: { kind: 'folder', path: app.vmsDir, name: 'lab' },
    });
    expect(added.ok()).toBe(true);

    await page.goto(app.url);
    const web01 = page.locator('[data-testid="vm-row"][data-vm-name="web01"]');
    const db01 = page.locator('[data-testid="vm-row"][data-vm-name="db01"]');
    await expect(web01).toBeVisible();
    await expect(db01).toBeVisible();
    await web01.getByTestId('vm-backup-now').click();
    await expect(web01.getByTestId('vm-last-status').locator('.badge')).toHaveAttribute(
      'data-severity',
      'ok',
    );
    // Only the VM asked for was backed up.
    await expect(db01.getByTestId('vm-last-status')).toContainText('Never');
    await expect(page.getByTestId('tile-images')).toContainText('1');
    await screenshot(page, testInfo, 'dashboard-one-click');

    const jobs = await request.post(`${app.origin}/api/jobs.list`, { headers, data: {} });
    const [job] = (await jobs.json()).result;
    expect(job).toMatchObject({ kind: 'compound', policy: 'backup-now', statusCode: 0 });
  });
});
