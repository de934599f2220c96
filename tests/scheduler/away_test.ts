import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  getCurrentScheduler,
  getCurrentThread,
  NotInThreadError,
  pushSignals,
  Scheduler,
  scheduleTask,
  scheduleThread,
  setRepeat,
  setTimeout as awaySetTimeout,
  type SettledSignal,
  type Signal,
  sleep,
  type Thread,
  VirtualClock,
  wait,
  waitSignalFor,
  waitSignalLike,
  wakebackLater,
} from "../../scheduler/mod.ts";

function virtualScheduler(onError?: (e: unknown, t: Thread | null) => void): Scheduler {
  return new Scheduler({ clock: new VirtualClock(), onError });
}

describe("away calls outside a thread", () => {
  it("throw NotInThreadError naming the call", () => {
    assert.throws(
      () => getCurrentThread(),
      (e: unknown) => e instanceof NotInThreadError && /getCurrentThread\(\)/.test(e.message),
    );
    assert.throws(() => getCurrentScheduler(), NotInThreadError);
    assert.throws(() => pushSignals(), NotInThreadError);
    assert.throws(() => awaySetTimeout(1, () => {}), NotInThreadError);
    assert.throws(() => sleep(1).next(), NotInThreadError);
  });
});

describe("getCurrentThread / getCurrentScheduler", () => {
  it("name the thread being resumed and its scheduler", async () => {
    const scheduler = virtualScheduler();
    let seen: Thread | undefined;
    let seenScheduler: Scheduler | undefined;
    const thread = scheduler.spawn(function* () {
      seen = getCurrentThread();
      seenScheduler = getCurrentScheduler();
    });
    await scheduler.run();
    assert.equal(seen, thread);
    assert.equal(seenScheduler, scheduler);
  });
});

describe("scheduleThread", () => {
  it("spawns a body on the current scheduler, starting next turn", async () => {
    const scheduler = virtualScheduler();
    let childTurn = -1;
    let parentTurn = -1;
    let child: Thread | undefined;
    scheduler.spawn(function* () {
      parentTurn = scheduler.turn;
      child = scheduleThread(function* () {
        childTurn = scheduler.turn;
      }, { name: "child" });
    });
    await scheduler.run();
    assert.equal(child?.name, "child");
    assert.equal(childTurn, parentTurn + 1);
  });

  it("wakes an existing thread with a wake signal, or with the given one", async () => {
    const scheduler = virtualScheduler();
    const kinds: string[] = [];
    const sleeper = scheduler.spawn(function* () {
      kinds.push(String((yield).kind));
      kinds.push(String((yield).kind));
    });
    scheduler.spawn(function* () {
      scheduleThread(sleeper);
      yield* wakebackLater();
      scheduleThread(sleeper, { target: sleeper, kind: "custom" });
    });
    await scheduler.run();
    assert.deepEqual(kinds, ["wake", "custom"]);
  });

  it("refuses a signal aimed at another thread", async () => {
    const scheduler = virtualScheduler();
    let caught: unknown;
    const a = scheduler.spawn(function* () {
      yield;
    });
    const b = scheduler.spawn(function* () {
      yield;
    });
    scheduler.spawn(function* () {
      try {
        scheduleThread(a, { target: b });
      } catch (error) {
        caught = error;
      }
    });
    await scheduler.run();
    assert.ok(caught instanceof TypeError);
    scheduler.kill(a);
    scheduler.kill(b);
  });
});

describe("pushSignals", () => {
  it("queues signals in order, each with the current thread as source", async () => {
    const scheduler = virtualScheduler();
    const got: Signal[] = [];
    const a = scheduler.spawn(function* () {
      got.push(yield);
    });
    const b = scheduler.spawn(function* () {
      got.push(yield);
    });
    const pusher = scheduler.spawn(function* () {
      pushSignals({ target: b, kind: "to-b" }, { target: a, kind: "to-a" });
    });
    await scheduler.run();
    assert.deepEqual(got.map((s) => s.kind), ["to-b", "to-a"]);
    assert.ok(got.every((s) => s.source === pusher));
  });
});

describe("waitSignalFor / waitSignalLike", () => {
  it("waits for the first matching signal and delivers the others afterwards, in order", async () => {
    const scheduler = virtualScheduler();
    const log: string[] = [];
    const waiter = scheduler.spawn(function* () {
      const match = yield* waitSignalFor((s) => s.kind === "wanted");
      log.push(`matched ${match.kind}`);
      for (let i = 0; i < 2; i++) log.push(`then ${(yield).kind}`);
    });
    scheduler.spawn(function* () {
      pushSignals({ target: waiter, kind: "early-1" });
      yield* wakebackLater();
      pushSignals({ target: waiter, kind: "early-2" });
      yield* wakebackLater();
      pushSignals({ target: waiter, kind: "wanted" });
    });
    await scheduler.run();
    assert.deepEqual(log, ["matched wanted", "then early-1", "then early-2"]);
  });

  it("matches fields by value or by predicate", async () => {
    const scheduler = virtualScheduler();
    let matched: Signal | undefined;
    const waiter = scheduler.spawn(function* () {
      matched = yield* waitSignalLike({ kind: "data", size: (n: unknown) => (n as number) >= 10 });
      yield; // takes one set-aside signal
      yield;
    });
    scheduler.spawn(function* () {
      pushSignals({ target: waiter, kind: "data", size: 3 });
      yield* wakebackLater();
      pushSignals({ target: waiter, kind: "other", size: 50 });
      yield* wakebackLater();
      pushSignals({ target: waiter, kind: "data", size: 12 });
    });
    await scheduler.run();
    assert.equal(matched?.size, 12);
    scheduler.kill(waiter);
  });
});

describe("wakebackLater", () => {
  it("resumes the thread exactly one turn later, letting other threads run in between", async () => {
    const scheduler = virtualScheduler();
    const log: string[] = [];
    scheduler.spawn(function* () {
      log.push(`a1@${scheduler.turn}`);
      yield* wakebackLater();
      log.push(`a2@${scheduler.turn}`);
    });
    scheduler.spawn(function* () {
      log.push(`b@${scheduler.turn}`);
    });
    await scheduler.run();
    assert.deepEqual(log, ["a1@1", "b@1", "a2@2"]);
  });
});

describe("sleep", () => {
  it("parks for the given virtual time, instantly in real time", async () => {
    const clock = new VirtualClock();
    const scheduler = new Scheduler({ clock });
    const woke: number[] = [];
    scheduler.spawn(function* () {
      yield* sleep(3_600_000);
      woke.push(clock.now());
      yield* sleep(0);
      woke.push(clock.now());
    });
    const started = performance.now();
    await scheduler.run();
    assert.deepEqual(woke, [3_600_000, 3_600_000]);
    assert.ok(performance.now() - started < 1000);
  });

  it("orders sleepers by wake time", async () => {
    const scheduler = virtualScheduler();
    const order: string[] = [];
    for (const [name, ms] of [["slow", 300], ["fast", 100], ["mid", 200]] as const) {
      scheduler.spawn(function* () {
        yield* sleep(ms);
        order.push(name);
      });
    }
    await scheduler.run();
    assert.deepEqual(order, ["fast", "mid", "slow"]);
  });

  it("keeps signals that arrive during the sleep for after it", async () => {
    const scheduler = virtualScheduler();
    const log: string[] = [];
    const sleeper = scheduler.spawn(function* () {
      yield* sleep(50);
      log.push(`awake@${scheduler.now()}`);
      log.push(`got ${(yield).kind}@${scheduler.now()}`);
    });
    scheduler.spawn(function* () {
      yield* sleep(10);
      pushSignals({ target: sleeper, kind: "mail" });
    });
    await scheduler.run();
    assert.deepEqual(log, ["awake@50", "got mail@50"]);
  });
});

describe("wait and yielding Promises", () => {
  it("returns a fulfilled value", async () => {
    const scheduler = virtualScheduler();
    let got: number | undefined;
    scheduler.spawn(function* () {
      got = yield* wait(Promise.resolve(5));
    });
    await scheduler.run();
    assert.equal(got, 5);
  });

  it("throws a rejection into the thread, where it can be caught", async () => {
    const scheduler = virtualScheduler();
    let caught: unknown;
    scheduler.spawn(function* () {
      try {
        yield* wait(Promise.reject(new Error("nope")));
      } catch (error) {
        caught = error;
      }
    });
    await scheduler.run();
    assert.equal((caught as Error).message, "nope");
  });

  it("resumes a thread that yields a Promise with a settled signal", async () => {
    const scheduler = virtualScheduler();
    const settled: SettledSignal[] = [];
    scheduler.spawn(function* () {
      settled.push((yield Promise.resolve("v")) as SettledSignal);
      settled.push((yield Promise.reject("e")) as SettledSignal);
    });
    await scheduler.run();
    assert.deepEqual(settled.map(({ kind, ok, value, error }) => ({ kind, ok, value, error })), [
      { kind: "settled", ok: true, value: "v", error: undefined },
      { kind: "settled", ok: false, value: undefined, error: "e" },
    ]);
  });

  it("holds other signals while a Promise is pending and delivers them after", async () => {
    const scheduler = virtualScheduler();
    const log: string[] = [];
    let release!: (value: string) => void;
    const waiter = scheduler.spawn(function* () {
      log.push(yield* wait(new Promise<string>((resolve) => (release = resolve))));
      log.push(String((yield).kind));
    });
    scheduler.spawn(function* () {
      pushSignals({ target: waiter, kind: "meanwhile" });
      yield* wakebackLater();
      release("settled");
    });
    await scheduler.run();
    assert.deepEqual(log, ["settled", "meanwhile"]);
  });
});

describe("setTimeout / setRepeat as away calls", () => {
  it("use the current thread's scheduler and clock", async () => {
    const clock = new VirtualClock();
    const scheduler = new Scheduler({ clock });
    const at: number[] = [];
    scheduler.spawn(function* () {
      awaySetTimeout(30, () => at.push(clock.now()));
      let n = 0;
      const handle = setRepeat(20, () => {
        at.push(clock.now());
        if (++n === 2) handle.cancel();
      });
    });
    await scheduler.run();
    assert.deepEqual(at, [20, 30, 40]);
  });
});

describe("scheduleTask", () => {
  it("runs a plain function as a thread and keeps its result", async () => {
    const scheduler = virtualScheduler();
    const task = scheduleTask(() => 3, { scheduler, name: "sync" });
    await scheduler.run();
    assert.equal(task.result, 3);
    assert.equal(task.name, "sync");
  });

  it("waits for an async function", async () => {
    const scheduler = virtualScheduler();
    const task = scheduleTask(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return "done";
    }, { scheduler });
    await scheduler.run();
    assert.equal(task.result, "done");
  });

  it("sends a rejection to the error handler with the task's thread", async () => {
    const errors: [unknown, Thread | null][] = [];
    const scheduler = virtualScheduler((e, t) => errors.push([e, t]));
    const task = scheduleTask(function failingTask() {
      return Promise.reject(new Error("task failed"));
    }, { scheduler });
    await scheduler.run();
    assert.equal(errors.length, 1);
    assert.equal(errors[0][1], task);
    assert.equal(task.name, "failingTask");
  });

  it("uses the current scheduler when called from a thread", async () => {
    const scheduler = virtualScheduler();
    let task: Thread | undefined;
    scheduler.spawn(function* () {
      task = scheduleTask(() => "inner");
    });
    await scheduler.run();
    assert.equal(task?.result, "inner");
  });
});
