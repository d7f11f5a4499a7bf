// The cancel request (cancel.json): written whole, addressed to the lock's holder, and seen only by that controller in that tenure.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { CancelWatch, cancelsController, readCancelRequest, writeCancelRequest } from '../../src/journal/cancel.js';
import type { LockHolder } from '../../src/journal/lock.js';
import { EnsembleLayout } from '../../src/layout/layout.js';

const me: LockHolder = { pid: 4242, host: 'login1', since: '2025-01-01T10:00:00.000Z' };

t.test('cancelsController: the holder it was written for, in that tenure, and no other', async (t) => {
  const req = { at: '2025-01-01T10:05:00.000Z', host: 'login2', pid: 7, controller: { pid: 4242, host: 'login1', since: me.since } };
  t.ok(cancelsController(req, me));
  t.notOk(cancelsController(req, { ...me, since: '2025-01-01T11:00:00.000Z' }), 'a later controller with the same pid (pid reuse, a resume)');
  t.notOk(cancelsController(req, { ...me, host: 'login2' }), 'the same pid on another host');
  t.notOk(cancelsController({ ...req, controller: null }, me), 'a cancel when no controller ran stops no later one');
  t.notOk(cancelsController(null, me), 'no request');
});

t.test('cancelsController without a tenure: any tenure of that process (an adaptive run between its rounds), on that host only', async (t) => {
  const req = { at: '2025-01-01T10:05:00.000Z', host: 'login2', pid: 7, controller: { pid: 4242, host: 'login1', since: me.since } };
  t.ok(cancelsController(req, { pid: 4242, host: 'login1' }), 'the tenure of an earlier round');
  t.notOk(cancelsController(req, { pid: 4242, host: 'login2' }), 'the same pid on another host');
  t.notOk(cancelsController(req, { pid: 4243, host: 'login1' }), 'another process');
  t.notOk(cancelsController({ ...req, controller: null }, { pid: 4242, host: 'login1' }), 'addressed to no controller: not by this rule');
});

t.test('writeCancelRequest / readCancelRequest; CancelWatch stays true once it saw its request', async (t) => {
  const layout = new EnsembleLayout(t.testdir());
  t.equal(await readCancelRequest(layout), null);
  const watch = new CancelWatch(layout, me);
  t.notOk(await watch.requested());
  await writeCancelRequest(layout, null);
  t.notOk(await watch.requested(), 'a request for no controller');
  const req = await writeCancelRequest(layout, { ...me, workers: [1, 2] });
  t.match(req, { host: hostname(), pid: process.pid, controller: { pid: 4242, host: 'login1', since: me.since } });
  t.notOk('workers' in (req.controller ?? {}), 'only who it is addressed to');
  t.same(await readCancelRequest(layout), req);
  t.ok(await watch.requested());
  await writeCancelRequest(layout, null);
  t.ok(await watch.requested(), 'sticky: a later request does not undo it');
  writeFileSync(layout.cancelRequest, '{"at": "torn');
  t.equal(await readCancelRequest(layout), null, 'an unreadable request is none');
});
