import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { ensureLabKeys } from "./keys.ts";

describe("ensureLabKeys", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "macvlab-keys-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates a 0700 key dir, ed25519 keys and authorized_keys", async () => {
    const keyDir = join(dir, "lab");
    const keys = await ensureLabKeys(keyDir);
    expect((await stat(keyDir)).mode & 0o777).to.equal(0o700);
    // The blob starts with the length-prefixed key type.
    expect(keys.hostPublicKey.subarray(4, 15).toString()).to.equal("ssh-ed25519");
    expect(keys.clientPrivateKey.toString()).to.contain("BEGIN OPENSSH PRIVATE KEY");
    const clientPub = await readFile(join(keyDir, "client_ed25519_key.pub"), "utf8");
    expect(await readFile(keys.authorizedKeysPath, "utf8")).to.equal(`${clientPub.trim()}\n`);
    expect(keys.hostKeyPath).to.equal(join(keyDir, "host_ed25519_key"));
  });

  it("reuses existing keys so the pinned host key stays the same", async () => {
    const first = await ensureLabKeys(dir);
    const second = await ensureLabKeys(dir);
    expect(second.hostPublicKey.equals(first.hostPublicKey)).to.equal(true);
    expect(second.clientPrivateKey.equals(first.clientPrivateKey)).to.equal(true);
  });

  it("regenerates a half-written pair instead of hanging on ssh-keygen's overwrite prompt", async () => {
    const first = await ensureLabKeys(dir);
    await rm(`${first.hostKeyPath}.pub`);
    const second = await ensureLabKeys(dir);
    expect(second.hostPublicKey.equals(first.hostPublicKey)).to.equal(false);
  });
});
