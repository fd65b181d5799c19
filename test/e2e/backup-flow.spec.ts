/// <reference lib="dom" />
import type { Page } from '@playwright/test';
import { expect, screenshot, test } from './console-fixture.js';

/** Every value the parent job's progress bar shows, recorded in the page as it changes. */
async function recordParentProgress(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { progressSeen: number[] }).progressSeen = seen;
    new MutationObserver(() => {
      const bar = document.querySelector(
        '[data-testid="job-node-parent-progress"] [role="progressbar"]',
      );
      const value = bar?.getAttribute('aria-valuenow');
      if (value !== null && value !== undefined && seen[seen.length - 1] !== Number(value))
        seen.push(Number(value));
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  return () => page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
}

test.describe('inventory, policy and compound job', () => {
  test('add a folder source, create a policy with a query, run it and watch it in the Activity Monitor', async ({
    app,
    page,
  }, testInfo) => {
    // Two web servers large enough for the job to take a few progress updates, one database.
    await app.makeVm('web01', { sizeMiB: 1024, dataMiB: 640 });
    await app.makeVm('web02', { format: 'vpc', sizeMiB: 1024, dataMiB: 640 });
    await app.makeVm('db01', { format: 'raw', sizeMiB: 64 });
    await page.goto(app.url);

    // Inventory: add the folder and see its VMs.
    await page.getByTestId('nav-inventory').click();
    await expect(page.getByTestId('sources-empty')).toBeVisible();
    await screenshot(page, testInfo, 'inventory-empty');
    await page.getByTestId('source-kind').selectOption('folder');
    await page.getByTestId('source-path').fill(app.vmsDir);
    await page.getByTestId('source-name').fill('lab');
    await page.getByTestId('source-add').click();
    await expect(page.locator('[data-testid="source-row"][data-source-name="lab"]')).toBeVisible();
    for (const name of ['web01', 'web02', 'db01']) {
      await expect(
        page.locator(`[data-testid="discovered-vm"][data-vm-name="${name}"]`),
      ).toBeVisible();
    }
    await screenshot(page, testInfo, 'inventory');

    // Policies: a query with a typo shows where it is wrong; the right one lists the web VMs.
    await page.getByTestId('nav-policies').click();
    await expect(page.getByTestId('policies-empty')).toBeVisible();
    await page.getByTestId('policy-new').click();
    await page.getByTestId('policy-name').fill('web-nightly');
    await page.getByTestId('selection-query').check();
    await page.getByTestId('query-input').fill('name contans "web"');
    await expect(page.getByTestId('query-error')).toBeVisible();
    await expect(page.getByTestId('query-error-reason')).not.toBeEmpty();
    await screenshot(page, testInfo, 'policy-query-error');
    await page.getByTestId('query-input').fill('name contains "web"');
    await expect(page.getByTestId('query-error')).toBeHidden();
    await expect(page.getByTestId('query-matches')).toHaveAttribute('data-count', '2');
    await expect(page.getByTestId('query-match')).toHaveText([/web01/, /web02/]);
    await page.getByTestId('schedule-add').click();
    await screenshot(page, testInfo, 'policy-editor');
    await page.getByTestId('policy-save').click();
    const row = page.locator('[data-testid="policy-row"][data-policy-name="web-nightly"]');
    await expect(row).toBeVisible();
    await screenshot(page, testInfo, 'policies');

    // Run it, then follow the compound job tree live in the Activity Monitor.
    await row.getByTestId('policy-run').click();
    await expect(page.getByTestId('job-tree')).toBeVisible();
    const progressSeen = await recordParentProgress(page);
    const parent = page.getByTestId('job-node-parent');
    await expect(parent.getByTestId('job-node-parent-status')).toHaveAttribute(
      'data-severity',
      'ok',
      {
        timeout: 60_000,
      },
    );
    await expect(page.getByTestId('job-node-discovery')).toHaveCount(1);
    const hosts = page.getByTestId('job-node-backup-host');
    expect(await hosts.count()).toBeGreaterThanOrEqual(1);
    for (const host of await hosts.all()) {
      await expect(host.getByTestId('job-node-backup-host-status')).toHaveAttribute(
        'data-severity',
        'ok',
      );
    }
    // The bar moved while the job ran, and ended full.
    const seen = await progressSeen();
    expect(
      seen.some((value) => value > 0 && value < 100),
      `progress seen: ${seen}`,
    ).toBe(true);
    await expect(parent.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
    await expect(
      page.getByTestId('log-line').filter({ hasText: /web0[12]: image .* committed/ }),
    ).toHaveCount(2);
    await screenshot(page, testInfo, 'activity-monitor');

    // The Dashboard shows both web VMs protected, the database not, and the dedup ratio.
    await page.getByTestId('nav-dashboard').click();
    await expect(page.getByTestId('tile-images')).toContainText('2');
    const web01 = page.locator('[data-testid="vm-row"][data-vm-name="web01"]');
    await expect(web01.getByTestId('vm-last-status').locator('.badge')).toHaveAttribute(
      'data-severity',
      'ok',
    );
    const db01 = page.locator('[data-testid="vm-row"][data-vm-name="db01"]');
    await expect(db01.getByTestId('vm-last-status')).toContainText('Never');
    await expect(page.getByTestId('tile-dedup')).toContainText('×');
    await screenshot(page, testInfo, 'dashboard');
  });

  test('the Storage and Backup hosts screens', async ({ app, page }, testInfo) => {
    await page.goto(app.url);
    await page.getByTestId('nav-storage').click();
    await expect(page.getByTestId('screen-storage')).toBeVisible();
    await screenshot(page, testInfo, 'storage-empty');
    await page.getByTestId('nav-hosts').click();
    await expect(page.getByTestId('screen-hosts')).toBeVisible();
    await screenshot(page, testInfo, 'hosts');
  });

  test('keyboard navigation, and dark mode following the system', async ({
    app,
    page,
  }, testInfo) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(app.url);
    await expect(page.getByTestId('welcome-panel')).toBeVisible();
    // The page follows the system's dark scheme: its background is dark.
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
    expect((r! + g! + b!) / 3, background).toBeLessThan(80);
    await screenshot(page, testInfo, 'dashboard-dark');

    // Tab reaches the navigation; Enter opens a screen and moves focus into it.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if (await page.getByTestId('nav-policies').evaluate((el) => el === document.activeElement)) {
        break;
      }
    }
    await expect(page.getByTestId('nav-policies')).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('screen-policies')).toBeVisible();
    await screenshot(page, testInfo, 'policies-empty-dark');
  });
});
