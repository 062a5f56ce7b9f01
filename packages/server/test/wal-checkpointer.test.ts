import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { endianness, tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type WardDatabase } from "../src/store/database.js";
import { DEFAULT_TENANT } from "../src/store/schema.js";
import { setSetting } from "../src/store/settings.js";
import { type CheckpointPolicy, SERVER_POLICY, startWalCheckpointer } from "../src/store/wal-checkpointer.js";

// The server checkpoints SQLite's WAL from a worker thread, so no request's COMMIT waits for the
// copy into the database file and its fsync; the server's connection checkpoints only past a high
// threshold (so the WAL is started over, bounded, under sustained writes); without the worker,
// SQLite's own automatic checkpoints must be on, or the WAL would grow without bound.
describe("SQLite WAL checkpoints in the background", () => {
  const dirs: string[] = [];
  let database: WardDatabase | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempFile = () => {
    const dir = mkdtempSync(join(tmpdir(), "ward-wal-"));
    dirs.push(dir);
    return join(dir, "ward.db");
  };
  const autocheckpointPages = async (db: WardDatabase) =>
    Number(Object.values((await sql<Record<string, number>>`pragma wal_autocheckpoint`.execute(db.db)).rows[0] ?? {})[0]);

  it("the worker copies committed pages into the database file below the server connection's threshold", async () => {
    const file = tempFile();
    const problems: string[] = [];
    database = await openDatabase(`sqlite:${file}`, { checkpointInBackground: { onProblem: (reason) => problems.push(reason) } });
    const opened = database;
    await expect.poll(() => autocheckpointPages(opened), { timeout: 5000 }).toBe(SERVER_POLICY.serverAutocheckpointPages);
    const sizeBefore = statSync(file).size;
    // About 6 MB in 1500 commits: past the worker's 1024 frames, far under the server connection's threshold.
    for (let i = 0; i < 1500; i++) await setSetting(database.db, DEFAULT_TENANT, `key-${i}`, "x".repeat(4000));
    await expect.poll(() => statSync(file).size, { timeout: 5000, interval: 50 }).toBeGreaterThan(sizeBefore + 4_000_000);
    expect(problems).toEqual([]);
    await database.close();
    database = undefined;
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reopened = new SQLite(file, { readonly: true });
    expect(reopened.prepare("select count(*) as n from settings where key like 'key-%'").get()).toEqual({ n: 1500 });
    reopened.close();
  });

  const walDatabase = () => {
    const file = tempFile();
    const native = new SQLite(file);
    native.pragma("journal_mode = WAL");
    native.pragma("synchronous = NORMAL");
    native.exec("create table filler (body blob not null)");
    const insert = native.prepare("insert into filler (body) values (?)");
    const body = Buffer.alloc(3000, 7);
    return {
      file,
      native,
      commit: (count: number) => {
        for (let i = 0; i < count; i++) insert.run(body);
      },
    };
  };
  const quiet = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Checks every 20 ms; nothing is due by size or time, or near the server's threshold, unless a test says so. */
  const testPolicy: CheckpointPolicy = {
    pollMs: 20,
    maxPendingFrames: 1_000_000,
    maxIntervalMs: 1_000_000,
    serverAutocheckpointPages: 2048,
    nearRestartFrames: 0,
    nearRestartPollMs: 20,
    nearRestartPendingFrames: 1_000_000,
  };
  const serverThreshold = (native: SQLite.Database, pages: number) =>
    expect.poll(() => native.pragma("wal_autocheckpoint", { simple: true }), { timeout: 5000 }).toBe(pages);

  it("the worker waits until enough frames are pending, then copies them", async () => {
    const { file, native, commit } = walDatabase();
    const checkpointer = startWalCheckpointer(native, file, () => {}, { ...testPolicy, maxPendingFrames: 400 });
    await serverThreshold(native, testPolicy.serverAutocheckpointPages);
    const sizeBefore = statSync(file).size;
    commit(100);
    await quiet(300);
    expect(statSync(file).size).toBe(sizeBefore);
    // The worker may run while this loop still commits: it copies what is pending by then (at least 400 frames).
    commit(200);
    await expect.poll(() => statSync(file).size, { timeout: 5000, interval: 20 }).toBeGreaterThan(sizeBefore + 100 * 3000);
    await checkpointer.stop();
    native.close();
  });

  /** The WAL's committed frames and those already copied, from the wal-index header as the worker reads it (mxFrame at byte 16, nBackfill at 96). */
  const walFrames = (file: string) => {
    const header = readFileSync(`${file}-shm`).subarray(0, 100);
    const read32 = (at: number) => (endianness() === "LE" ? header.readUInt32LE(at) : header.readUInt32BE(at));
    return { frames: read32(16), pending: read32(16) - read32(96) };
  };

  it("near the server connection's threshold the worker copies a few pending frames at once, so the WAL starts over with nothing left", async () => {
    const { file, native, commit } = walDatabase();
    // A commit here is about 3 frames. Near means from frame 4096 - 2048 on; there, 32 pending
    // frames are enough (far below maxPendingFrames).
    const policy = {
      ...testPolicy,
      serverAutocheckpointPages: 4096,
      nearRestartFrames: 2048,
      nearRestartPollMs: 5,
      nearRestartPendingFrames: 32,
    };
    const checkpointer = startWalCheckpointer(native, file, () => {}, policy);
    await serverThreshold(native, policy.serverAutocheckpointPages);
    commit(200);
    await quiet(300);
    expect(walFrames(file).pending).toBeGreaterThan(200);
    commit(600);
    await expect.poll(() => walFrames(file).pending, { timeout: 5000, interval: 20 }).toBe(0);
    expect(walFrames(file).frames).toBeGreaterThan(2048);
    // Everything copied: the next commit starts the WAL over, long before the server's threshold.
    commit(1);
    expect(walFrames(file).frames).toBeLessThan(10);
    await checkpointer.stop();
    native.close();
  });

  /** Starts a worker with `policy`, commits 20 one-page rows after `idleFirstMs` and expects them copied into the database file. */
  const expectTwentyCommitsCopied = async (policy: CheckpointPolicy, idleFirstMs = 0) => {
    const { file, native, commit } = walDatabase();
    const checkpointer = startWalCheckpointer(native, file, () => {}, policy);
    await serverThreshold(native, policy.serverAutocheckpointPages);
    await quiet(idleFirstMs);
    const sizeBefore = statSync(file).size;
    commit(20);
    await expect.poll(() => statSync(file).size, { timeout: 5000, interval: 20 }).toBeGreaterThan(sizeBefore + 20 * 3000);
    await checkpointer.stop();
    native.close();
  };

  it("a few pending frames are copied once they have waited the longest interval", async () => {
    await expectTwentyCommitsCopied({ ...testPolicy, maxIntervalMs: 400 }, 450);
  });

  it("when the wal-index cannot be read the worker checkpoints on every poll", async () => {
    await expectTwentyCommitsCopied({ ...testPolicy, walIndexPath: join(tempFile(), "missing-shm") });
  });

  it("under writes that never pause the WAL stays bounded: the server's connection starts it over past its threshold", async () => {
    const { file, native } = walDatabase();
    const policy = { ...testPolicy, maxPendingFrames: 256, serverAutocheckpointPages: 4096 };
    const checkpointer = startWalCheckpointer(native, file, () => {}, policy);
    await serverThreshold(native, policy.serverAutocheckpointPages);
    // 16 000 commits of about one page each with no gap between them: the worker's checkpoints
    // never find the WAL idle, so without the server connection's own checkpoint the WAL would
    // only grow (to about 195 MB here; measured 590 MB in 20 s of benchmark load).
    const insert = native.prepare("insert into filler (body) values (?)");
    const body = Buffer.alloc(3000, 7);
    let largestWal = 0;
    for (let i = 0; i < 16_000; i++) {
      insert.run(body);
      if (i % 500 === 0) largestWal = Math.max(largestWal, statSync(`${file}-wal`).size);
    }
    // Past the threshold the WAL still grows by what is committed while the worker's own checkpoint
    // holds the checkpoint lock (the server's attempt is then skipped until the next commit): on a
    // busy machine a few thousand frames in this tight loop. Without the threshold it holds all ~47 000.
    const pageWithHeader = 4096 + 24;
    expect(largestWal).toBeLessThan(policy.serverAutocheckpointPages * 4 * pageWithHeader);
    expect(native.prepare("select count(*) as n from filler").get()).toEqual({ n: 16_000 });
    await checkpointer.stop();
    native.close();
  });

  it("a worker that cannot start leaves SQLite's automatic checkpoints on and says why", async () => {
    const native = new SQLite(":memory:");
    const problems: string[] = [];
    const checkpointer = startWalCheckpointer(native, join(tempFile(), "missing.db"), (reason) => problems.push(reason));
    await expect.poll(() => problems.length, { timeout: 5000 }).toBeGreaterThan(0);
    expect(problems.join(" ")).toMatch(/missing\.db|unable to open|directory does not exist|exited/);
    expect(native.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    await checkpointer.stop();
    native.close();
  });

  it("a worker that dies later gives SQLite's automatic checkpoints back to the server's connection and says so", async () => {
    const file = tempFile();
    const native = new SQLite(file);
    native.pragma("journal_mode = WAL");
    const problems: string[] = [];
    const checkpointer = startWalCheckpointer(native, file, (reason) => problems.push(reason));
    await serverThreshold(native, SERVER_POLICY.serverAutocheckpointPages);
    await checkpointer.thread.terminate();
    await expect.poll(() => native.pragma("wal_autocheckpoint", { simple: true }), { timeout: 5000 }).toBe(1000);
    expect(problems).toEqual(["the checkpoint worker exited"]);
    await checkpointer.stop();
    native.close();
  });

  it("without the option (short-lived tools, sqlite::memory:) there is no worker and SQLite checkpoints as usual", async () => {
    database = await openDatabase(`sqlite:${tempFile()}`);
    expect(await autocheckpointPages(database)).toBe(1000);
  });
});
