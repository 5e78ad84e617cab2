// workspace: the git side of agent workspaces against plain git, side by side in one run,
// on a generated repository (BENCH_WS_FILES files, BENCH_WS_MB megabytes): first sync,
// incremental sync after a one-file commit, spawn with a worktree, and changes back.
// Coordinator and worker are separate directories of one process here; chunks go through
// the real base64 encoding, chunk files, verification and fetch, but not a WebSocket.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { receiveAgentBranch, sendSnapshots } from '../extension/core/workspace/sync';
import { snapshotForAgent } from '../extension/core/workspace/snapshot';
import { openUserRepo, type UserRepo } from '../extension/core/workspace/userRepo';
import { WorkerWorkspaces } from '../runtime/workspace/workerWorkspaces';
import { result, round, summarize, table } from './lib';
import { filePath, generate, git, text, time } from './workspaceRepo';

const FILES = Number(process.env.BENCH_WS_FILES ?? 10_000);
const MB = Number(process.env.BENCH_WS_MB ?? 100);
const ROUNDS = Number(process.env.BENCH_WS_ROUNDS ?? 5);
const ratio = (ours: number, base: number): number => round(ours / base, 2);

/** Baseline: git bundle create + git clone from that bundle (clone checks out the files). */
async function firstSyncBaseline(repo: UserRepo, scratch: string, round: number) {
  const bundle = join(scratch, `base${round}.bundle`);
  const [ms] = await time(async () => {
    await git(repo.root, 'bundle', 'create', '-q', bundle, 'HEAD', 'main');
    await git(scratch, 'clone', '-q', bundle, join(scratch, `clone${round}`));
  });
  const bytes = statSync(bundle).size;
  rmSync(join(scratch, `clone${round}`), { recursive: true, force: true });
  rmSync(bundle, { force: true });
  return { ms, bytes };
}

/** Ours: snapshot, bundle, chunks, verify + fetch into a fresh mirror, worktree checkout. */
async function firstSyncOurs(repo: UserRepo, scratch: string, round: number) {
  const worker = new WorkerWorkspaces({ stateDir: join(scratch, `worker${round}`) });
  const agentId = `first${round}`;
  const parts: Record<string, number> = {};
  const [ms, sent] = await time(async () => {
    const [snapMs, start] = await time(() => snapshotForAgent(repo, agentId, 'First'));
    const [sendMs, sent] = await time(async () => {
      const { commits: have } = await worker.refs({ projectId: 'bench' });
      return sendSnapshots(repo, {
        projectId: 'bench',
        agentIds: [agentId],
        have,
        chunkBytes: worker.chunkBytes,
        push: (c) => worker.push(c),
      });
    });
    const [wtMs] = await time(() =>
      worker.createWorktree({
        agentId,
        agentName: 'First',
        workspace: { projectId: 'bench', commit: start },
      }),
    );
    Object.assign(parts, {
      snapshotMs: round0(snapMs),
      bundleAndPushMs: round0(sendMs),
      worktreeMs: round0(wtMs),
    });
    return sent;
  });
  return { worker, agentId, ms, bytes: sent.bytes, chunks: sent.chunks, parts };
}

const round0 = (n: number): number => round(n, 0);

/** Ours and the baseline in A-B-B-A order, so neither always runs on a cold cache. */
async function firstSync(repo: UserRepo, scratch: string) {
  const a = await firstSyncOurs(repo, scratch, 1);
  const b1 = await firstSyncBaseline(repo, scratch, 1);
  const b2 = await firstSyncBaseline(repo, scratch, 2);
  await a.worker.dispose();
  rmSync(join(scratch, 'worker1'), { recursive: true, force: true });
  const last = await firstSyncOurs(repo, scratch, 2);
  return {
    worker: last.worker,
    agentId: last.agentId,
    oursMs: (a.ms + last.ms) / 2,
    oursSamples: [round0(a.ms), round0(last.ms)],
    baseMs: (b1.ms + b2.ms) / 2,
    baseSamples: [round0(b1.ms), round0(b2.ms)],
    oursBytes: last.bytes,
    baseBytes: b1.bytes,
    chunks: last.chunks,
    parts: [a.parts, last.parts],
  };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'tavern-bench-ws-'));
  const root = join(scratch, 'user');
  mkdirSync(root);
  const [genMs] = await time(() => generate(root, FILES, MB));
  console.log(`generated ${FILES} files, ${MB} MB in ${round(genMs / 1000, 1)} s`);
  const repo = await openUserRepo(root);
  await git(root, 'status', '--short'); // warm the user's index stat data, as an editor would have

  const first = await firstSync(repo, scratch);
  const worker = first.worker;

  // Incremental sync after a one-file commit, against that commit's own bundle.
  const incOurs: number[] = [];
  const incBase: number[] = [];
  const incSnap: number[] = [];
  let incBytes = 0;
  let commitBytes = 0;
  for (let i = 0; i < ROUNDS; i++) {
    writeFileSync(join(root, 'pkg0', 'mod0', 'file0.ts'), text(1000 + i, 5000));
    await git(root, 'commit', '-q', '-am', `one file ${i}`);
    const one = join(scratch, `commit${i}.bundle`);
    const [bMs] = await time(() => git(root, 'bundle', 'create', '-q', one, 'HEAD', '^HEAD~1'));
    incBase.push(bMs);
    commitBytes = statSync(one).size;
    const agentId = `inc${String(i).padStart(6, '0')}`;
    const [sMs] = await time(() => snapshotForAgent(repo, agentId, 'Inc'));
    incSnap.push(sMs);
    const [oMs, sent] = await time(async () => {
      const { commits: have } = await worker.refs({ projectId: 'bench' });
      return sendSnapshots(repo, {
        projectId: 'bench',
        agentIds: [agentId],
        have,
        chunkBytes: worker.chunkBytes,
        push: (c) => worker.push(c),
      });
    });
    incOurs.push(oMs);
    incBytes = sent.bytes;
  }

  // Spawn with a worktree vs git worktree add alone (same mirror, same commit).
  const head = await git(root, 'rev-parse', 'HEAD');
  const spawnOurs: number[] = [];
  const spawnBase: number[] = [];
  const startId = 'inc' + String(ROUNDS - 1).padStart(6, '0');
  const start = await git(root, 'rev-parse', `refs/tavern/snapshots/${startId}`);
  const mirror = worker.layout.mirror('bench');
  for (let i = 0; i < ROUNDS; i++) {
    const [bMs] = await time(() =>
      git(
        mirror,
        'worktree',
        'add',
        '-q',
        '-b',
        `plain/${i}`,
        join(scratch, 'plain', `${i}`),
        start,
      ),
    );
    spawnBase.push(bMs);
    const [oMs] = await time(() =>
      worker.createWorktree({
        agentId: `spawn${i}`,
        agentName: 'Spawn',
        workspace: { projectId: 'bench', commit: start },
      }),
    );
    spawnOurs.push(oMs);
  }
  void head;

  // Changes back: a 100-file change, pulled (bundle + chunks) and fetched, vs a local fetch.
  const agent = await worker.worktree(first.agentId);
  for (let i = 0; i < 100; i++)
    writeFileSync(join(agent.path, filePath((i * 53) % FILES)), text(5000 + i, 4000));
  await worker.commitTurn(first.agentId, 'First', 1);
  const backOurs: number[] = [];
  const backReady: number[] = [];
  const backBase: number[] = [];
  let backBytes = 0;
  const pullOnce = async (): Promise<void> => {
    const offer = await worker.pull(first.agentId);
    backBytes = offer.bytes;
    await receiveAgentBranch(repo, {
      branch: offer.branch,
      bytes: offer.bytes,
      chunks: offer.chunks,
      chunk: (n) => worker.pullChunk(offer.pullId!, n),
    });
  };
  // The bundle made at the end of the turn, as a worker does for a remote coordinator.
  await worker.prepareBundle(first.agentId);
  for (let i = 0; i < ROUNDS; i++) {
    const same = join(scratch, `back${i}.bundle`);
    await git(
      mirror,
      'bundle',
      'create',
      '-q',
      same,
      `refs/heads/${agent.branch}`,
      `^${agent.base}`,
    );
    const [bMs] = await time(() =>
      git(root, 'fetch', '-q', same, `refs/heads/${agent.branch}:refs/heads/base-${i}`),
    );
    backBase.push(bMs);
    // On demand: a pull with a `have` the worker cannot use makes its bundle on the spot.
    const [oMs] = await time(async () => {
      const offer = await worker.pull(first.agentId, [agent.base]);
      await receiveAgentBranch(repo, {
        branch: offer.branch,
        bytes: offer.bytes,
        chunks: offer.chunks,
        chunk: (n) => worker.pullChunk(offer.pullId!, n),
      });
    });
    backOurs.push(oMs);
    await git(root, 'update-ref', '-d', `refs/heads/${agent.branch}`);
    const [rMs] = await time(pullOnce);
    backReady.push(rMs);
    await git(root, 'update-ref', '-d', `refs/heads/${agent.branch}`);
  }
  await worker.dispose();

  const s = {
    incOurs: summarize(incOurs),
    incBase: summarize(incBase),
    incSnap: summarize(incSnap),
    spawnOurs: summarize(spawnOurs),
    spawnBase: summarize(spawnBase),
    backOurs: summarize(backOurs),
    backReady: summarize(backReady),
    backBase: summarize(backBase),
  };
  const rows = [
    {
      measure: `first sync (${FILES} files, ${MB} MB), mean of 2`,
      ours: `${round(first.oursMs, 0)} ms`,
      baseline: `${round(first.baseMs, 0)} ms (bundle + clone)`,
      ratio: ratio(first.oursMs, first.baseMs),
      goal: '<= 1.5x',
    },
    {
      measure: 'first sync bytes',
      ours: first.oursBytes,
      baseline: first.baseBytes,
      ratio: ratio(first.oursBytes, first.baseBytes),
      goal: '',
    },
    {
      measure: 'incremental sync, one-file commit (p50)',
      ours: `${s.incOurs.p50} ms`,
      baseline: `${s.incBase.p50} ms (its bundle)`,
      ratio: ratio(s.incOurs.p50, s.incBase.p50),
      goal: '<= 100 ms',
    },
    {
      measure: 'incremental sync bytes',
      ours: incBytes,
      baseline: commitBytes,
      ratio: ratio(incBytes, commitBytes),
      goal: '<= 2x',
    },
    {
      measure: 'snapshot before it (p50, not in sync)',
      ours: `${s.incSnap.p50} ms`,
      baseline: '',
      ratio: '',
      goal: '',
    },
    {
      measure: 'spawn with a worktree (p50)',
      ours: `${s.spawnOurs.p50} ms`,
      baseline: `${s.spawnBase.p50} ms (worktree add)`,
      ratio: ratio(s.spawnOurs.p50, s.spawnBase.p50),
      goal: '<= 1.2x',
    },
    {
      measure: 'changes back, 100 files, bundle made at turn end (p50)',
      ours: `${s.backReady.p50} ms`,
      baseline: `${s.backBase.p50} ms (local fetch)`,
      ratio: ratio(s.backReady.p50, s.backBase.p50),
      goal: '<= 1.5x',
    },
    {
      measure: 'changes back, 100 files, bundle made on demand (p50)',
      ours: `${s.backOurs.p50} ms`,
      baseline: `${s.backBase.p50} ms (local fetch)`,
      ratio: ratio(s.backOurs.p50, s.backBase.p50),
      goal: '<= 1.5x',
    },
    { measure: 'changes back bytes', ours: backBytes, baseline: backBytes, ratio: 1, goal: '' },
  ];
  table(
    `workspace: git plumbing vs plain git, ${ROUNDS} rounds each (first sync: 2, A-B-B-A)`,
    rows,
  );
  console.log(
    `first sync: ours ${JSON.stringify(first.oursSamples)} ms, baseline ${JSON.stringify(first.baseSamples)} ms; ` +
      `parts ${JSON.stringify(first.parts)}; ${first.chunks} chunks of ${worker.chunkBytes} bytes`,
  );
  rmSync(scratch, { recursive: true, force: true });
  result('workspace', {
    files: FILES,
    megabytes: MB,
    firstSync: {
      oursMs: round(first.oursMs, 0),
      baselineMs: round(first.baseMs, 0),
      oursSamples: first.oursSamples,
      baselineSamples: first.baseSamples,
      ratio: ratio(first.oursMs, first.baseMs),
      oursBytes: first.oursBytes,
      baselineBytes: first.baseBytes,
      parts: first.parts,
      goal: '<= 1.5x',
    },
    incrementalSync: {
      oursMs: s.incOurs,
      baselineMs: s.incBase,
      snapshotMs: s.incSnap,
      oursBytes: incBytes,
      commitBundleBytes: commitBytes,
      bytesRatio: ratio(incBytes, commitBytes),
      goal: '<= 100 ms and <= 2x bytes',
    },
    spawnWorktree: {
      oursMs: s.spawnOurs,
      baselineMs: s.spawnBase,
      ratio: ratio(s.spawnOurs.p50, s.spawnBase.p50),
      goal: '<= 1.2x',
    },
    changesBack: {
      preparedMs: s.backReady,
      preparedRatio: ratio(s.backReady.p50, s.backBase.p50),
      oursMs: s.backOurs,
      baselineMs: s.backBase,
      ratio: ratio(s.backOurs.p50, s.backBase.p50),
      bytes: backBytes,
      goal: '<= 1.5x',
    },
  });
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
