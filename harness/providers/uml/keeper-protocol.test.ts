import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { expect } from "chai";
import { ATTACH_ID, readLine, socketPath } from "./keeper-protocol.ts";

describe("the keeper's protocol", () => {
  it("reads one line and puts back what came after it", async () => {
    const stream = new PassThrough();
    stream.write("attach-1-0123abcd\nSSH-2.0-rest");
    expect(await readLine(stream, "t", 1000)).to.equal("attach-1-0123abcd");
    stream.end();
    const rest: Buffer[] = [];
    for await (const chunk of stream) rest.push(chunk as Buffer);
    expect(Buffer.concat(rest).toString()).to.equal("SSH-2.0-rest");
  });

  it("refuses a line past its limit, a stream that ends first, and silence past the deadline", async () => {
    const long = new PassThrough();
    long.write("x".repeat(100));
    await expectRejection(readLine(long, "long", 1000, 64), /long: a line longer than 64 bytes/);
    const ended = new PassThrough();
    ended.end("no newline");
    await expectRejection(readLine(ended, "ended", 1000), /ended: ended before a line came \(it said: no newline\)/);
    await expectRejection(readLine(new PassThrough(), "silent", 50), /silent: no line within 50 ms/);
  });

  it("names only attach directories the client made: no path, no dot-dot", () => {
    expect(ATTACH_ID.test("attach-4242-0badcafe")).to.equal(true);
    for (const bad of [
      "../etc",
      "attach-1-0badcafe/../x",
      "attach-1-0BADCAFE",
      "attach--0badcafe",
      "attach-1-0badcafe\n",
    ])
      expect(ATTACH_ID.test(bad), bad).to.equal(false);
  });

  it("serves a socket in a directory deeper than a socket path may be long", async () => {
    const root = await mkdtemp(join(tmpdir(), "macvlab-keeper-"));
    const deep = join(root, "d".repeat(60), "e".repeat(60));
    await mkdir(deep, { recursive: true });
    try {
      const server = createServer((sock) => sock.end("hello\n"));
      const bound = socketPath(deep);
      expect(bound.path).to.match(/^\/proc\/self\/fd\/\d+\/attach\.sock$/);
      await new Promise<void>((resolve) => server.listen(bound.path, resolve));
      bound.close();
      const reached = socketPath(deep);
      const sock = connect(reached.path);
      const line = await readLine(sock, "client", 2000);
      reached.close();
      sock.destroy();
      server.close();
      expect(line).to.equal("hello");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

async function expectRejection(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error?.message).to.match(pattern);
}
