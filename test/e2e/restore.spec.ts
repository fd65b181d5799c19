/// <reference lib="dom" />
import type { APIRequestContext } from '@playwright/test';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, screenshot, test, type ConsoleApp } from './console-fixture.js';

const run = promisify(execFile);

/** A libvirt VM (domain XML beside its disk folder), so an image records its configuration. */
async function makeLibvirtVm(app: ConsoleApp): Promise<{ disk: string; qemuDir: string }> {
  const images = path.join(app.vmsDir, 'images');
  const qemuDir = path.join(app.vmsDir, 'qemu');
  await mkdir(images, { recursive: true });
  await mkdir(qemuDir, { recursive: true });
  const disk = path.join(images, 'web01.vhdx');
  await run('qemu-img', ['create', '-q', '-f', 'vhdx', disk, '48M']);
  await run('qemu-io', [
    '-f',
    'vhdx',
    '-c',
    'write -P 0x5a 1M 6M',
    '-c',
    'write -P 0x33 20M 3M',
    disk,
  ]);
  await writeFile(
    path.join(qemuDir, 'web01.xml'),
    `<domain type='kvm'>
  <name>web01</name>
  <uuid>5b0c1f4e-7d7e-4a53-9d0a-0f6f1b1f2a01</uuid>
  <memory unit='KiB'>2097152</memory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='vhdx'/>
      <source file='${disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:12:34:56'/>
      <source network='default'/>
    </interface>
  </devices>
</domain>
`,
  );
  return { disk, qemuDir };
}

/** Calls the console's API as a script would (the token as a bearer header). */
function api(app: ConsoleApp, request: APIRequestContext) {
  const authorization = `Bearer ${new URL(app.url).searchParams.get('token')}`;
  return async (method: string, params: object) => {
    const response = await request.post(`${app.origin}/api/${method}`, {
      headers: { authorization },
      data: params,
    });
    return { status: response.status(), body: await response.json() };
  };
}

test.describe('the restore browser', () => {
  test('restore the first of two images to another folder under a new name as fixed VHD', async ({
    app,
    page,
    request,
  }, testInfo) => {
    const call = api(app, request);
    const { disk, qemuDir } = await makeLibvirtVm(app);
    expect((await call('inventory.addSource', { kind: 'libvirt', path: qemuDir })).status).toBe(
      200,
    );

    const backUp = async () => {
      const started = await call('jobs.backupNow', {});
      expect(started.status).toBe(200);
      await expect
        .poll(
          async () =>
            (await call('jobs.get', { id: started.body.result.jobId })).body.result.job.statusCode,
        )
        .toBe(0);
    };
    // Day 1, then the guest changes its disk, then day 2 (a second later: a new backup ID).
    await backUp();
    const day1 = path.join(app.vmsDir, 'day1.vhdx');
    await copyFile(disk, day1);
    await run('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0x77 2M 1M', disk]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await backUp();

    await page.goto(app.url);
    await page.getByTestId('nav-restore').click();
    await page.locator('[data-testid="restore-client"][data-client="web01"]').click();
    const images = page.getByTestId('restore-image');
    await expect(images).toHaveCount(2);
    // Newest first: the first image is the last row.
    await images.last().click();
    await expect(page.getByTestId('restore-vm-config')).toContainText('web01');
    await screenshot(page, testInfo, 'restore-browser');

    // An original-location restore needs the explicit overwrite confirmation.
    await page.getByTestId('restore-target-original').check();
    await expect(page.getByTestId('restore-preview')).toBeDisabled();

    const target = path.join(app.dataDir, '..', 'restored');
    await page.getByTestId('restore-target-folder').check();
    await page.getByTestId('restore-folder').fill(target);
    await page.getByTestId('restore-vm-name').fill('web01-copy');
    await page.getByTestId('restore-format').selectOption('vhd-fixed');
    await page.getByTestId('restore-preview').click();
    await expect(page.getByTestId('restore-plan')).toBeVisible();
    await expect(page.getByTestId('restore-plan-file').first()).toHaveAttribute(
      'data-path',
      new RegExp(`^${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    await screenshot(page, testInfo, 'restore-plan');
    await page.getByTestId('restore-start').click();
    const result = page.getByTestId('restore-result');
    await expect(result).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    await expect(page.getByTestId('restore-note').first()).toBeVisible();
    await screenshot(page, testInfo, 'restore-result');

    // The restored disk is the day-1 disk, as a fixed VHD.
    const restored = await page
      .locator('[data-testid="restore-result-file"][data-format="vhd-fixed"]')
      .first()
      .getAttribute('data-path');
    expect(restored).toMatch(/\.vhd$/);
    // A fixed VHD is raw data plus a footer, so qemu-img is told the format rather than asked.
    const info = JSON.parse(
      (await run('qemu-img', ['info', '-f', 'vpc', '--output=json', restored!])).stdout,
    );
    expect(info['virtual-size']).toBeGreaterThanOrEqual(48 * 1024 * 1024);
    const footer = (await readFile(restored!)).subarray(-512);
    expect(footer.toString('latin1', 0, 8)).toBe('conectix');
    // Disk type 2 = fixed (big-endian at offset 60 of the footer).
    expect(footer.readUInt32BE(60)).toBe(2);
    await run('qemu-img', ['compare', '-f', 'vhdx', '-F', 'vpc', day1, restored!]);

    // The configuration carries the new name and points at the restored disk.
    const configPath = (await page.getByTestId('restore-config-path').innerText()).trim();
    const config = await readFile(configPath, 'utf8');
    expect(config).toContain('<name>web01-copy</name>');
    expect(config).toContain(restored!);
    expect(config).not.toContain(disk);
  });

  test('an overwrite of the original location without confirmation is refused', async ({
    app,
    request,
  }) => {
    const call = api(app, request);
    const { disk, qemuDir } = await makeLibvirtVm(app);
    await call('inventory.addSource', { kind: 'libvirt', path: qemuDir });
    const started = await call('jobs.backupNow', {});
    await expect
      .poll(
        async () =>
          (await call('jobs.get', { id: started.body.result.jobId })).body.result.job.statusCode,
      )
      .toBe(0);
    const before = await readFile(disk);
    const refused = await call('restore.start', {
      image: { client: 'web01' },
      target: { kind: 'original' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('BAD_REQUEST');
    expect(refused.body.error.message).toMatch(/overwrite/i);
    expect((await readFile(disk)).equals(before)).toBe(true);
    const jobs = await call('jobs.list', {});
    expect(jobs.body.result.filter((job: { kind: string }) => job.kind === 'restore')).toHaveLength(
      0,
    );
  });
});
