/**
 * Behind a real reverse proxy: nginx (the Debian package, started here on
 * loopback with its own config and prefix) in front of hussar, with
 * upstream keep-alive. Load runs separated by pauses longer than nginx's
 * and hussar's idle timeouts give no 502 or 504 and no reset: hussar keeps
 * an idle connection at least as long as it advertises (`Keep-Alive:
 * timeout=N`), and nginx, told to keep upstream connections no longer than
 * that, never reuses one hussar has closed. Skipped, saying so, where nginx
 * is not installed.
 */
import { after, before, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, refused, sleep } from "../sources/_socket_client.ts";
import { until } from "../_until.ts";
import { type HttpServer, serve } from "../../serve/mod.ts";
import { runSoak, soakHandler } from "../../scripts/_soak_client.ts";

const NGINX = "/usr/sbin/nginx";
const HUSSAR_KEEP_ALIVE_MS = 2000; // advertised as timeout=1
const skip = existsSync(NGINX)
  ? false
  : `nginx is not installed (${NGINX}): apt-get install nginx to run the reverse-proxy test`;

function config(dir: string, upstreamPort: number, port: number): string {
  return `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream hussar {
    server 127.0.0.1:${upstreamPort};
    keepalive 16;
    # No longer than hussar advertises (Keep-Alive: timeout=1).
    keepalive_timeout 1s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://hussar;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # Show any upstream failure as an error instead of retrying it away.
      proxy_next_upstream off;
    }
  }
}
`;
}

describe("behind nginx with upstream keep-alive", { skip }, () => {
  let server: HttpServer;
  let nginx: ChildProcess;
  let dir: string;
  let port: number;

  before(async () => {
    server = serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
      keepAliveTimeoutMs: HUSSAR_KEEP_ALIVE_MS,
    }, soakHandler);
    await server.ready;
    dir = mkdtempSync(join(tmpdir(), "hussar-nginx-"));
    mkdirSync(join(dir, "logs"));
    port = await freePort();
    writeFileSync(join(dir, "nginx.conf"), config(dir, server.addr.port, port));
    nginx = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    nginx.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    await until(
      async () => {
        if (nginx.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
        return !(await refused({ host: "127.0.0.1", port }));
      },
      10_000,
      "nginx listening",
      20,
    );
  });

  after(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once("exit", resolve));
      nginx.kill("SIGTERM");
      await exited;
    }
    await server?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("load runs across both idle timeouts: no 502/504, no reset, connections reused", {
    timeout: 90_000,
  }, async () => {
    const rounds: { requests: number; pauseMs: number }[] = [
      { requests: 2000, pauseMs: HUSSAR_KEEP_ALIVE_MS + 600 }, // past hussar's idle close
      { requests: 2000, pauseMs: 1300 }, // past nginx's, short of hussar's
      { requests: 2000, pauseMs: 0 },
    ];
    let total = 0;
    for (const { requests, pauseMs } of rounds) {
      const result = await runSoak({ port, requests, connections: 16 });
      assert.deepEqual(result.samples, [], "every response through nginx is the right one");
      assert.equal(result.errors, 0);
      assert.equal(result.answered, requests);
      total += requests;
      await sleep(pauseMs);
    }
    const errors = readFileSync(join(dir, "error.log"), "utf8")
      .split("\n")
      .filter((line) => /\[(error|crit|alert|emerg)\]/.test(line));
    assert.deepEqual(errors, [], "nginx logged upstream errors");
    const accepted = server.hussar.stats().accepted;
    assert.ok(accepted < total / 20, `${accepted} upstream connections for ${total} requests`);
  });
});
