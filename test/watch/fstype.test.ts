// Filesystem type detection on a recorded /proc/mounts (login node with NFS home, Lustre scratch, GPFS project space).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_POLL_MS,
  chooseWatchMode,
  findMount,
  needsPolling,
  parseMounts,
  planWatch,
  pollIntervalMs,
  readFsType,
  unescapeMountField,
} from '../../src/watch/fstype.js';

// /proc/mounts of a login node (trimmed), with a mount point holding a space (\040) and a tab (\011).
const MOUNTS = `sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
/dev/mapper/rhel-root / xfs rw,relatime,attr2,inode64,logbufs=8,logbsize=32k,noquota 0 0
tmpfs /run tmpfs rw,nosuid,nodev,mode=755 0 0
/dev/sda1 /boot xfs rw,relatime 0 0
/dev/mapper/rhel-tmp /tmp xfs rw,nosuid,nodev,relatime 0 0
nas01.hpc.example.org:/export/home /home nfs4 rw,relatime,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,clientaddr=10.1.0.12,local_lock=none,addr=10.1.0.5 0 0
nas02:/apps /opt/apps nfs ro,relatime,vers=3,rsize=65536,wsize=65536,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,mountaddr=10.1.0.6,mountvers=3,mountport=20048,mountproto=udp,local_lock=none,addr=10.1.0.6 0 0
10.2.0.1@o2ib:10.2.0.2@o2ib:/scratch /scratch lustre rw,flock,lazystatfs,encrypt 0 0
10.2.0.1@o2ib:/scratch/projects /scratch/projects/shared\\040data lustre rw,flock,lazystatfs 0 0
proj /gpfs/proj gpfs rw,relatime 0 0
alice@laptop:/data /home/alice/remote fuse.sshfs rw,nosuid,nodev,relatime,user_id=1000,group_id=1000 0 0
/dev/nvme0n1p1 /local\\011scratch ext4 rw,relatime 0 0
/dev/sdb1 /home/alice/disk ext4 rw,relatime 0 0
beegfs_nodev /mnt/beegfs beegfs rw,relatime,cfgFile=/etc/beegfs/beegfs-client.conf 0 0
//fs01/share /mnt/share cifs rw,relatime,vers=3.1.1,cache=strict 0 0
`;

t.test('parseMounts reads every field and unescapes octal escapes', async (t) => {
  const m = parseMounts(MOUNTS);
  t.equal(m.length, 16);
  t.same(m[6], {
    device: 'nas01.hpc.example.org:/export/home',
    mountPoint: '/home',
    fsType: 'nfs4',
    options: 'rw,relatime,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,clientaddr=10.1.0.12,local_lock=none,addr=10.1.0.5',
  });
  t.equal(m[9].mountPoint, '/scratch/projects/shared data');
  t.equal(m[12].mountPoint, '/local\tscratch');
  t.equal(unescapeMountField('a\\040b\\134c\\012'), 'a b\\c\n');
  t.same(parseMounts('\n  \ngarbage\n# comment x y\n'), [], 'junk lines are skipped');
});

t.test('findMount takes the longest whole-component prefix', async (t) => {
  const m = parseMounts(MOUNTS);
  const type = (p: string) => findMount(m, p)?.fsType;
  t.equal(type('/home/alice/sweep/results'), 'nfs4', 'NFS home');
  t.equal(type('/home/alice/disk/runs'), 'ext4', 'a local disk mounted inside the NFS home');
  t.equal(type('/home/alice/diskette'), 'nfs4', 'a name sharing a prefix is not inside the mount');
  t.equal(type('/home/alice/remote/x'), 'fuse.sshfs');
  t.equal(type('/scratch/alice/sweep'), 'lustre');
  t.equal(type('/scratch/projects/shared data/run1'), 'lustre', 'escaped mount point');
  t.equal(type('/scratch/projects/shared'), 'lustre', '... and its parent belongs to the outer Lustre');
  t.equal(type('/gpfs/proj/x'), 'gpfs');
  t.equal(type('/opt/apps/bin'), 'nfs');
  t.equal(type('/tmp/arrayflow'), 'xfs');
  t.equal(type('/var/tmp'), 'xfs', 'the root filesystem');
  t.equal(type('/local\tscratch/j1'), 'ext4');
  t.equal(type('/mnt/beegfs/a'), 'beegfs');
  // the later of two mounts on the same point hides the earlier one
  const stacked = parseMounts('/dev/a /data ext4 rw 0 0\nserver:/d /data nfs rw 0 0\n');
  t.equal(findMount(stacked, '/data/x')?.fsType, 'nfs');
});

t.test('needsPolling: network, cluster and FUSE filesystems poll; local ones use inotify', async (t) => {
  for (const fs of ['nfs', 'nfs4', 'lustre', 'gpfs', 'beegfs', 'cifs', 'smb3', 'fuse.sshfs', 'fuse.gcsfuse', 'fuse', 'ceph', 'panfs', '9p', 'NFS4']) {
    t.ok(needsPolling(fs), fs);
  }
  for (const fs of ['ext4', 'xfs', 'btrfs', 'tmpfs', 'zfs', 'overlay', 'apfs']) t.notOk(needsPolling(fs), fs);
});

t.test('chooseWatchMode: caller, then ARRAYFLOW_WATCH, then the filesystem type', async (t) => {
  t.match(chooseWatchMode('lustre', { env: {} }), { mode: 'poll', pollMs: DEFAULT_POLL_MS, reason: /lustre/ });
  t.match(chooseWatchMode('ext4', { env: {} }), { mode: 'inotify' });
  t.match(chooseWatchMode(null, { env: {} }), { mode: 'inotify', reason: /unknown/ });
  t.match(chooseWatchMode('ext4', { env: { ARRAYFLOW_WATCH: 'poll' } }), { mode: 'poll', reason: 'ARRAYFLOW_WATCH=poll' });
  t.match(chooseWatchMode('nfs', { env: { ARRAYFLOW_WATCH: 'inotify' } }), { mode: 'inotify' });
  t.match(chooseWatchMode('nfs', { env: { ARRAYFLOW_WATCH: 'inotify' }, mode: 'poll' }), { mode: 'poll', reason: /caller/ });
  t.match(chooseWatchMode('nfs', { env: { ARRAYFLOW_WATCH: 'bogus' } }), { mode: 'poll' }, 'an unknown value is ignored');
  t.equal(pollIntervalMs({ ARRAYFLOW_POLL_MS: '250' }), 250);
  t.equal(pollIntervalMs({ ARRAYFLOW_POLL_MS: 'soon' }), DEFAULT_POLL_MS);
  t.equal(pollIntervalMs({}), DEFAULT_POLL_MS);
  t.equal(chooseWatchMode('nfs', { env: { ARRAYFLOW_POLL_MS: '250' } }).pollMs, 250);
});

t.test('readFsType and planWatch read a mounts file; a missing path uses its nearest existing ancestor', async (t) => {
  const dir = t.testdir();
  const mounts = join(dir, 'mounts');
  writeFileSync(mounts, `/dev/vda / ext4 rw 0 0\nserver:/export ${dir} nfs4 rw 0 0\n`);
  t.equal(await readFsType(join(dir, 'not', 'yet', 'there'), mounts), 'nfs4');
  t.equal(await readFsType('/', mounts), 'ext4');
  t.equal(await readFsType(dir, join(dir, 'no-such-file')), null, 'no /proc/mounts (macOS)');
  t.match(await planWatch(join(dir, 'results'), { mountsFile: mounts, env: {} }), { mode: 'poll', fsType: 'nfs4' });
  t.match(await planWatch(join(dir, 'results'), { mountsFile: mounts, env: {}, mode: 'inotify' }), { mode: 'inotify', fsType: 'nfs4' });
});
