// Peer for bench/bench.py: Promise.all over N setTimeout promises. Prints nothing.
//
//     node bench/peers/promises.js N DELAY_SECS
"use strict";

const n = Number.parseInt(process.argv[2], 10);
const secs = Number.parseFloat(process.argv[3]);
if (!Number.isInteger(n) || n < 0 || !Number.isFinite(secs) || secs < 0) {
  console.error("usage: node promises.js N DELAY_SECS");
  process.exit(2);
}
const delayMs = secs * 1000;

const sleep = () => new Promise((resolve) => setTimeout(resolve, delayMs));
const tasks = new Array(n);
for (let i = 0; i < n; i++) tasks[i] = sleep();
Promise.all(tasks);
