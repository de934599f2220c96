import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  AwayRuleError,
  DeadThreadError,
  getCurrentThread,
  Scheduler,
  type Signal,
  sleep,
  type Thread,
  VirtualClock,
  wait,
  waitSignalFor,
  wakebackLater,
} from "../../scheduler/mod.ts";
import { AFTER_TASK, FILTER } from "../../internal/thread_slots.ts";
import { countHostTasks } from "../_recording_transport.ts";

function collectErrors(): {
  errors: { error: unknown; thread: Thread | null }[];
  onError: (e: unknown, t: Thread | null) => void;
} {
  const errors: { error: unknown; thread: Thread | null }[] = [];
  return { errors, onError: (error, thread) => errors.push({ error, thread }) };
}

describe("Scheduler: threads and signals", () => {
  it("starts a generator function with a start signal, on the next turn", async () => {
    const scheduler = new Scheduler();
    const seen: string[] = [];
    let startTurn = -1;
    scheduler.spawn(function* (start: Signal) {
      startTurn = scheduler.turn;
      seen.push(String(start.kind));
    });
    assert.deepEqual(seen, []);
    await scheduler.run();
    assert.deepEqual(seen, ["start"]);
    assert.equal(startTurn, 1);
  });

  it("runs a generator object too", async () => {
    const scheduler = new Scheduler();
    let ran = false;
    const thread = scheduler.spawn((function* () {
      ran = true;
    })());
    await scheduler.run();
    assert.ok(ran);
    assert.equal(thread.state, "dead");
  });

  it("resumes a thread with the signal that targets it, and sets only source", async () => {
    const scheduler = new Scheduler();
    const received: Signal[] = [];
    const receiver = scheduler.spawn(function* () {
      received.push(yield);
    }, { name: "receiver" });
    const sender = scheduler.spawn(function* () {
      scheduler.push({ target: receiver, kind: "hello", payload: 42 });
    }, { name: "sender" });
    await scheduler.run();
    assert.equal(received.length, 1);
    assert.deepEqual(Object.keys(received[0]).sort(), ["kind", "payload", "source", "target"]);
    assert.equal(received[0].payload, 42);
    assert.equal(received[0].source, sender);
    assert.equal(received[0].target, receiver);
  });

  it("gives source null to signals pushed outside any thread", async () => {
    const scheduler = new Scheduler();
    let got: Signal | undefined;
    const thread = scheduler.spawn(function* () {
      got = yield;
    });
    scheduler.push({ target: thread, kind: "x" });
    await scheduler.run();
    assert.equal(got?.source, null);
  });

  it("runs signals pushed during a turn in the next turn, in push order", async () => {
    const scheduler = new Scheduler();
    const log: string[] = [];
    const a = scheduler.spawn(function* () {
      for (;;) {
        const s = yield;
        log.push(`a:${s.kind}@${scheduler.turn}`);
      }
    });
    const b = scheduler.spawn(function* () {
      for (;;) {
        const s = yield;
        log.push(`b:${s.kind}@${scheduler.turn}`);
        if (s.kind === "1") scheduler.push({ target: a, kind: "3" });
      }
    });
    scheduler.spawn(function* () {
      scheduler.push({ target: b, kind: "1" });
      scheduler.push({ target: a, kind: "2" });
    });
    await scheduler.run();
    // turn 1 starts all three; turn 2 delivers b:1 then a:2; b's push lands in turn 3.
    assert.deepEqual(log, ["b:1@2", "a:2@2", "a:3@3"]);
  });

  it("stamps threads with stable increasing ids and readable names", () => {
    const scheduler = new Scheduler();
    const one = scheduler.spawn(function* () {});
    const two = scheduler.spawn(function* () {}, { name: "two" });
    assert.equal(one.id + 1, two.id);
    assert.equal(String(one), `thread #${one.id}`);
    assert.equal(String(two), `thread "two"#${two.id}`);
  });

  it("reads a thread's name from its spawn options only when it is asked for", async () => {
    const scheduler = new Scheduler();
    let reads = 0;
    const options = {
      get name(): string {
        reads++;
        return "lazy";
      },
    };
    const thread = scheduler.spawn(function* () {}, options);
    await thread.finished;
    assert.equal(reads, 0, "spawning and running the thread built no name");
    assert.equal(thread.name, "lazy");
    assert.equal(String(thread), `thread "lazy"#${thread.id}`);
    assert.equal(reads, 2);
    assert.equal(scheduler.spawn(function* () {}).name, "", "no options: no name");
  });

  it("records a thread's return value and settles finished", async () => {
    const scheduler = new Scheduler();
    const thread = scheduler.spawn(function* () {
      return 7;
    });
    await thread.finished;
    assert.equal(thread.result, 7);
    assert.equal(thread.alive, false);
    assert.equal(scheduler.threadCount, 0);
  });

  it("rejects a body that is not a generator", () => {
    const scheduler = new Scheduler();
    assert.throws(() => scheduler.spawn(42 as never), TypeError);
  });

  it("reports a generator function that returns no generator", async () => {
    const { errors, onError } = collectErrors();
    const scheduler = new Scheduler({ onError });
    scheduler.spawn((() => 1) as never, { name: "bad" });
    await scheduler.run();
    assert.equal(errors.length, 1);
    assert.match(String(errors[0].error), /bad.*did not return a generator/);
  });
});

describe("Scheduler: errors", () => {
  it("sends a thread's error to the error handler with the thread, and keeps running others", async () => {
    const { errors, onError } = collectErrors();
    const scheduler = new Scheduler({ onError });
    const failing = scheduler.spawn(function* () {
      yield;
      throw new Error("boom");
    }, { name: "failing" });
    let otherFinished = false;
    scheduler.spawn(function* () {
      scheduler.push({ target: failing, kind: "go" });
      yield* wakebackLater();
      yield* wakebackLater();
      otherFinished = true;
    });
    await scheduler.run();
    assert.equal(errors.length, 1);
    assert.equal((errors[0].error as Error).message, "boom");
    assert.equal(errors[0].thread, failing);
    assert.equal(failing.state, "dead");
    assert.equal((failing.error as Error).message, "boom");
    assert.ok(otherFinished);
  });

  it("by default reports the thread's name and stack on console.error", async () => {
    const scheduler = new Scheduler();
    const original = console.error;
    const lines: unknown[][] = [];
    console.error = (...args: unknown[]) => lines.push(args);
    try {
      scheduler.spawn(function* () {
        throw new Error("visible");
      }, { name: "noisy" });
      await scheduler.run();
    } finally {
      console.error = original;
    }
    assert.equal(lines.length, 1);
    assert.match(String(lines[0][0]), /thread "noisy"#\d+ failed/);
    assert.match(String((lines[0][1] as Error).stack), /visible/);
  });

  it("throws DeadThreadError, naming the thread, when a signal is pushed to a finished thread", async () => {
    const scheduler = new Scheduler();
    const thread = scheduler.spawn(function* () {}, { name: "gone" });
    await scheduler.run();
    assert.throws(
      () => scheduler.push({ target: thread, kind: "late" }),
      (error: unknown) =>
        error instanceof DeadThreadError &&
        /"late".*finished thread "gone"#\d+/.test(error.message),
    );
  });

  it("reports a queued signal whose target died before delivery instead of losing it", async () => {
    const { errors, onError } = collectErrors();
    const scheduler = new Scheduler({ onError });
    const shortLived = scheduler.spawn(function* () {
      yield; // takes the first signal, then ends
    }, { name: "short" });
    scheduler.spawn(function* () {
      // Two signals for one thread in one turn (allowed outside debug mode).
      scheduler.push({ target: shortLived, kind: "first" });
      scheduler.push({ target: shortLived, kind: "second" });
    });
    await scheduler.run();
    assert.equal(errors.length, 1);
    assert.ok(errors[0].error instanceof DeadThreadError);
    assert.match((errors[0].error as Error).message, /"second".*finished thread "short"/);
  });

  it("survives an error handler that throws", async () => {
    const scheduler = new Scheduler({
      onError: () => {
        throw new Error("handler broke");
      },
    });
    const original = console.error;
    console.error = () => {};
    let after = false;
    try {
      scheduler.spawn(function* () {
        throw new Error("first");
      });
      scheduler.spawn(function* () {
        after = true;
      });
      await scheduler.run();
    } finally {
      console.error = original;
    }
    assert.ok(after);
  });

  it("rejects signals without a target thread or for another scheduler", () => {
    const one = new Scheduler();
    const two = new Scheduler();
    const thread = two.spawn(function* () {});
    assert.throws(() => one.push({ target: {} as Thread }), TypeError);
    assert.throws(() => one.push({ target: thread }), /another scheduler/);
  });
});

describe("Scheduler: debug mode", () => {
  it("forbids two signals for one thread in one turn and names the thread", async () => {
    const scheduler = new Scheduler({ debug: true });
    const target = scheduler.spawn(function* () {
      yield;
      yield;
    }, { name: "busy" });
    let caught: unknown;
    scheduler.spawn(function* () {
      scheduler.push({ target, kind: "one" });
      try {
        scheduler.push({ target, kind: "two" });
      } catch (error) {
        caught = error;
      }
    }, { name: "pusher" });
    await scheduler.run();
    assert.ok(caught instanceof AwayRuleError);
    assert.match(
      (caught as Error).message,
      /thread "busy"#\d+ would get two signals in one turn.*"two" from thread "pusher"/,
    );
  });

  it("allows one signal per thread per turn across turns", async () => {
    const scheduler = new Scheduler({ debug: true });
    const got: string[] = [];
    const target = scheduler.spawn(function* () {
      for (;;) got.push(String((yield).kind));
    });
    scheduler.spawn(function* () {
      scheduler.push({ target, kind: "one" });
      yield* wakebackLater();
      scheduler.push({ target, kind: "two" });
    });
    await scheduler.run();
    assert.deepEqual(got, ["one", "two"]);
  });

  it("reports signals a thread set aside but never took before it ended", async () => {
    const { errors, onError } = collectErrors();
    const scheduler = new Scheduler({ debug: true, onError, clock: new VirtualClock() });
    const picky = scheduler.spawn(function* () {
      yield* waitSignalFor((s) => s.kind === "wanted");
    }, { name: "picky" });
    scheduler.spawn(function* () {
      scheduler.push({ target: picky, kind: "unwanted" });
      yield* wakebackLater();
      scheduler.push({ target: picky, kind: "wanted" });
    });
    await scheduler.run();
    const rule = errors.find((e) => e.error instanceof AwayRuleError);
    assert.ok(rule, "an AwayRuleError was reported");
    assert.match(
      (rule.error as Error).message,
      /thread "picky"#\d+ ended with 1 signal\(s\) it never took: "unwanted"/,
    );
  });
});

describe("Scheduler: running", () => {
  it("ticks on a macrotask by default, after host callbacks queued before the work", async () => {
    const order: string[] = [];
    const scheduler = new Scheduler();
    setImmediate(() => order.push("host"));
    await scheduler.spawn(function* () {
      order.push("thread");
    }).finished;
    assert.deepEqual(order, ["host", "thread"]);
  });

  it("runs by itself on the host event loop without run()", async () => {
    const scheduler = new Scheduler();
    const thread = scheduler.spawn(function* () {});
    await thread.finished;
    assert.equal(thread.state, "dead");
  });

  it("run() resolves at once when there is nothing to do", async () => {
    const scheduler = new Scheduler();
    await scheduler.run();
    assert.equal(scheduler.queuedSignalCount, 0);
  });

  it("run() waits for threads parked on Promises", async () => {
    const scheduler = new Scheduler();
    let value: unknown;
    scheduler.spawn(function* () {
      value = yield* wait(
        new Promise((resolve) => globalThis.setTimeout(() => resolve("late"), 5)),
      );
    });
    await scheduler.run();
    assert.equal(value, "late");
    assert.equal(scheduler.pendingWaitCount, 0);
  });

  it("resumes a thread parked on a Promise only with that Promise's outcome, not a pushed look-alike", async () => {
    const scheduler = new Scheduler();
    const seen: unknown[] = [];
    let settle!: (value: string) => void;
    const thread = scheduler.spawn(function* () {
      seen.push(yield* wait(new Promise<string>((resolve) => (settle = resolve))));
      seen.push((yield).kind); // the look-alike, set aside until now
    });
    await new Promise((resolve) => globalThis.setTimeout(resolve, 0));
    scheduler.push({ target: thread, kind: "settled", ok: true, value: "forged" });
    await new Promise((resolve) => globalThis.setTimeout(resolve, 0));
    assert.deepEqual(seen, []);
    settle("real");
    await scheduler.run();
    assert.deepEqual(seen, ["real", "settled"]);
  });

  it("keeps nothing of a Promise wait in the thread: its filter is one function for every wait", async () => {
    // A closure per wait, kept in the long-lived thread, kept each wait's outcome (a whole response
    // in serve()) alive through minor collections: the young generation grew to its maximum.
    const scheduler = new Scheduler();
    const filters: unknown[] = [];
    const thread: Thread = scheduler.spawn(function* () {
      for (const value of ["a", "b"]) {
        const promise = Promise.resolve(value);
        queueMicrotask(() => filters.push(thread[FILTER]));
        assert.equal(yield* wait(promise), value);
      }
    });
    await scheduler.run();
    assert.equal(filters.length, 2);
    assert.equal(typeof filters[0], "function");
    assert.equal(filters[0], filters[1]);
  });

  it("resumes a thread whose Promise settled before the host loop's next macrotask", async () => {
    const scheduler = new Scheduler();
    const order: string[] = [];
    scheduler.spawn(function* () {
      // Settled by a chain of microtasks, as a fetch handler's answer is.
      const value = yield* wait((async () => {
        await null;
        setImmediate(() => order.push("next macrotask"));
        await null;
        return "answer";
      })());
      order.push(`resumed with ${value}`);
    });
    await scheduler.run();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, ["resumed with answer", "next macrotask"]);
  });

  it("lets the host loop run between a few such resumes: Promises settling in a loop do not starve it", async () => {
    const scheduler = new Scheduler();
    let resumes = 0;
    let resumesBeforeMacrotask = -1;
    setImmediate(() => (resumesBeforeMacrotask = resumes));
    const looping = scheduler.spawn(function* () {
      for (let i = 0; i < 1000; i++) {
        yield* wait(Promise.resolve(i));
        resumes++;
      }
    });
    await looping.finished;
    assert.equal(resumes, 1000);
    assert.ok(
      resumesBeforeMacrotask >= 0 && resumesBeforeMacrotask < 100,
      `resumes before the host loop's macrotask ran: ${resumesBeforeMacrotask}`,
    );
  });

  it("run() does not wait for a thread parked on a signal nobody will send", async () => {
    const scheduler = new Scheduler();
    const parked = scheduler.spawn(function* () {
      yield;
    });
    await scheduler.run();
    assert.equal(parked.state, "suspended");
    scheduler.kill(parked);
  });

  it("runForever() resolves only after stop()", async () => {
    const scheduler = new Scheduler({ clock: new VirtualClock() });
    let resolved = false;
    const forever = scheduler.runForever().then(() => (resolved = true));
    scheduler.spawn(function* () {
      yield* sleep(10);
    });
    await new Promise((resolve) => globalThis.setTimeout(resolve, 20));
    assert.equal(resolved, false);
    scheduler.stop();
    await forever;
    assert.equal(resolved, true);
  });

  it("stop() halts turns and keeps queued signals; run() resumes them", async () => {
    const scheduler = new Scheduler();
    const got: string[] = [];
    const thread = scheduler.spawn(function* () {
      for (;;) got.push(String((yield).kind));
    });
    await scheduler.run();
    scheduler.stop();
    scheduler.push({ target: thread, kind: "held" });
    await new Promise((resolve) => globalThis.setTimeout(resolve, 5));
    assert.deepEqual(got, []);
    assert.equal(scheduler.queuedSignalCount, 1);
    await scheduler.run();
    assert.deepEqual(got, ["held"]);
    scheduler.kill(thread);
  });

  it("yields to the host event loop between bursts of turns", async () => {
    const scheduler = new Scheduler({ maxTurnsPerTick: 4 });
    let hostRan = false;
    // A scheduler that never yielded would spin all 200,000 turns first.
    const spinner = scheduler.spawn(function* () {
      for (let i = 0; i < 200_000 && !hostRan; i++) yield* wakebackLater();
    });
    globalThis.setTimeout(() => (hostRan = true), 1);
    await spinner.finished;
    assert.ok(hostRan);
    assert.ok(scheduler.turn < 200_000, `host ran only after ${scheduler.turn} turns`);
  });

  it("calls the poller at the end of every turn", async () => {
    const turns: number[] = [];
    const scheduler = new Scheduler({ poller: (s) => turns.push(s.turn) });
    scheduler.spawn(function* () {
      yield* wakebackLater();
    });
    await scheduler.run();
    assert.deepEqual(turns.slice(0, 2), [1, 2]);
  });
});

describe("Scheduler: kill", () => {
  it("runs the thread's finally blocks, marks it dead and leaves no timer", async () => {
    const scheduler = new Scheduler({ clock: new VirtualClock({ autoAdvance: false }) });
    let cleaned = false;
    const sleeper = scheduler.spawn(function* () {
      try {
        yield* sleep(1_000_000);
      } finally {
        cleaned = true;
      }
    });
    while (sleeper.state === "new") {
      await new Promise((resolve) => globalThis.setTimeout(resolve, 0));
    }
    assert.equal(scheduler.timerCount, 1);
    scheduler.kill(sleeper);
    assert.ok(cleaned);
    assert.equal(sleeper.state, "dead");
    assert.equal(scheduler.timerCount, 0);
    assert.equal(scheduler.threadCount, 0);
    await scheduler.run();
  });

  it("drops the settle of a Promise a killed thread waited on", async () => {
    const { errors, onError } = collectErrors();
    const scheduler = new Scheduler({ onError });
    let release!: () => void;
    const waiter = scheduler.spawn(function* () {
      yield new Promise<void>((resolve) => (release = resolve));
    });
    while (waiter.state === "new") {
      await new Promise((resolve) => globalThis.setTimeout(resolve, 0));
    }
    scheduler.kill(waiter);
    release();
    await scheduler.run();
    assert.deepEqual(errors, []);
    assert.equal(scheduler.pendingWaitCount, 0);
  });

  it("refuses to let a thread kill itself", async () => {
    const scheduler = new Scheduler();
    let caught: unknown;
    scheduler.spawn(function* () {
      try {
        scheduler.kill(getCurrentThread());
      } catch (error) {
        caught = error;
      }
    });
    await scheduler.run();
    assert.match(String(caught), /cannot kill itself/);
  });
});

describe("Scheduler: watchers", () => {
  it("observes pushes, resumes, turns and thread ends until unwatched", async () => {
    const scheduler = new Scheduler();
    const events: string[] = [];
    const unwatch = scheduler.watch({
      onPush: (s) => events.push(`push ${s.kind}`),
      onResume: (t, s) => events.push(`resume ${t.name} ${s.kind}`),
      onTurn: (n) => events.push(`turn ${n}`),
      onThreadEnd: (t) => events.push(`end ${t.name}`),
    });
    const t = scheduler.spawn(function* () {
      yield;
    }, { name: "w" });
    scheduler.push({ target: t, kind: "poke" });
    await scheduler.run();
    unwatch();
    scheduler.spawn(function* () {}, { name: "unseen" });
    await scheduler.run();
    assert.deepEqual(events, [
      "push start",
      "push poke",
      "resume w start",
      "resume w poke",
      "end w",
      "turn 1",
    ]);
  });
});

describe("Scheduler: kill discards queued signals", () => {
  it("drops signals queued for a killed thread instead of reporting them lost", async () => {
    const errors: unknown[] = [];
    const scheduler = new Scheduler({ onError: (e) => errors.push(e) });
    const victim = scheduler.spawn(function* () {
      for (;;) yield;
    });
    await scheduler.run();
    scheduler.push({ target: victim, kind: "queued" });
    scheduler.kill(victim);
    await scheduler.run();
    assert.deepEqual(errors, []);
    assert.equal(scheduler.queuedSignalCount, 0);
  });
});

describe("Scheduler: kill and pending Promises", () => {
  it("a killed thread's never-settling Promise does not keep run() pending", async () => {
    const scheduler = new Scheduler();
    const stuck = scheduler.spawn(function* () {
      yield new Promise(() => {});
    });
    while (stuck.state === "new") await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(scheduler.pendingWaitCount, 1);
    scheduler.kill(stuck);
    assert.equal(scheduler.pendingWaitCount, 0);
    await scheduler.run();
  });
});

describe("Scheduler: tasks after the host task (AFTER_TASK)", () => {
  it("runs a task in the host task of the next tick, after its turn, with one setImmediate for both", async () => {
    const scheduler = new Scheduler();
    const order: string[] = [];
    const thread = scheduler.spawn(function* () {
      yield;
      order.push("turn");
    });
    await scheduler.run(); // the thread parks
    const hostTasks = await countHostTasks(async () => {
      scheduler[AFTER_TASK](() => order.push("task"));
      order.push("same task");
      scheduler.push({ target: thread, kind: "go" });
      await thread.finished;
    });
    assert.deepEqual(order, ["same task", "turn", "task"]);
    assert.equal(hostTasks, 1);
  });

  it("runs a task queued during that tick in a later host task", async () => {
    const scheduler = new Scheduler();
    const order: string[] = [];
    const thread = scheduler.spawn(function* () {
      yield;
      scheduler[AFTER_TASK](() => order.push("task of the turn"));
      order.push("turn");
    });
    await scheduler.run(); // the thread parks
    scheduler[AFTER_TASK](() => order.push("task"));
    scheduler.push({ target: thread, kind: "go" });
    await new Promise((done) => setImmediate(done)); // queued after the tick's setImmediate
    assert.deepEqual(order, ["turn", "task"]);
    await new Promise((done) => setImmediate(done));
    assert.deepEqual(order, ["turn", "task", "task of the turn"]);
  });

  it("runs a task queued during a tick that had none once, in a later host task", async () => {
    const scheduler = new Scheduler();
    let ran = 0;
    const thread = scheduler.spawn(function* () {
      yield;
      scheduler[AFTER_TASK](() => ran++);
    });
    await scheduler.run(); // the thread parks
    scheduler.push({ target: thread, kind: "go" });
    await new Promise((done) => setImmediate(done)); // queued after the tick's setImmediate
    assert.equal(ran, 0, "not in the tick's own host task");
    await new Promise((done) => setImmediate(done));
    assert.equal(ran, 1);
    await new Promise((done) => setImmediate(done));
    assert.equal(ran, 1, "once");
  });

  it("does not hold back a thread whose Promise settles meanwhile (it resumes in the microtask checkpoint)", async () => {
    const scheduler = new Scheduler();
    const order: string[] = [];
    let resolve!: () => void;
    const settled = new Promise<void>((done) => (resolve = done));
    const thread = scheduler.spawn(function* () {
      yield* wait(settled);
      order.push("resumed");
    });
    await new Promise((done) => setImmediate(done)); // the thread waits for the Promise
    scheduler[AFTER_TASK](() => order.push("task"));
    resolve();
    await thread.finished;
    assert.deepEqual(order, ["resumed"]);
    await new Promise((done) => setImmediate(done));
    assert.deepEqual(order, ["resumed", "task"]);
  });
});
