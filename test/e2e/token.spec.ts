import { expect, test } from './console-fixture.js';

test.describe('the headless console token', () => {
  test('a request without the token is refused, the printed URL opens the app', async ({
    app,
    page,
    request,
  }) => {
    const page401 = await request.get(`${app.origin}/`);
    expect(page401.status()).toBe(401);
    const api401 = await request.post(`${app.origin}/api/app.info`, { data: {} });
    expect(api401.status()).toBe(401);
    expect((await api401.json()).error.code).toBe('UNAUTHORIZED');

    const wrong = await request.post(`${app.origin}/api/app.info`, {
      data: {},
      headers: { authorization: 'Bearer not-the-token' },
    });
    expect(wrong.status()).toBe(401);

    await page.goto(app.url);
    await expect(page.getByRole('navigation')).toBeVisible();
    // The token leaves the address bar once the page has it.
    await expect.poll(() => new URL(page.url()).searchParams.has('token')).toBe(false);
  });
});
