import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import ssh2 from "ssh2";
import { InfrastructureError } from "../model/errors.ts";
import { createLabKeys, newKeyPair, writeSecretFile } from "./keys.ts";

describe("createLabKeys", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "macvlab-keys-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates a 0700 dir, a 0600 ed25519 host key and a 0600 authorized_keys for the client key", async () => {
    const keyDir = join(dir, "lab");
    const keys = await createLabKeys(keyDir);
    expect((await stat(keyDir)).mode & 0o777).to.equal(0o700);
    expect((await stat(keys.hostKeyPath)).mode & 0o777).to.equal(0o600);
    expect((await stat(keys.authorizedKeysPath)).mode & 0o777).to.equal(0o600);
    // The blob starts with the length-prefixed key type.
    expect(keys.hostPublicKey.subarray(4, 15).toString()).to.equal("ssh-ed25519");
    const host = ssh2.utils.parseKey(await readFile(keys.hostKeyPath));
    if (host instanceof Error) throw host;
    expect(host.getPublicSSH().equals(keys.hostPublicKey)).to.equal(true);
    const client = ssh2.utils.parseKey(keys.clientPrivateKey);
    if (client instanceof Error) throw client;
    const authorized = (await readFile(keys.authorizedKeysPath, "utf8")).trim().split(/\s+/)[1];
    expect(authorized).to.equal(client.getPublicSSH().toString("base64"));
  });

  it("is fresh on every call: keys belong to one lab instance", async () => {
    const first = await createLabKeys(join(dir, "a"));
    const second = await createLabKeys(join(dir, "b"));
    expect(second.hostPublicKey.equals(first.hostPublicKey)).to.equal(false);
    expect(second.clientPrivateKey.equals(first.clientPrivateKey)).to.equal(false);
  });

  it("refuses a directory that already exists (keys are never reused or overwritten)", async () => {
    await mkdir(join(dir, "lab"));
    const error = await createLabKeys(join(dir, "lab")).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InfrastructureError);
    expect((error as Error).message).to.contain(join(dir, "lab"));
  });

  it("writeSecretFile creates 0600 exclusively even under a permissive umask, and refuses a planted symlink", async () => {
    const previous = process.umask(0);
    try {
      await writeSecretFile(join(dir, "k"), "secret");
    } finally {
      process.umask(previous);
    }
    expect((await stat(join(dir, "k"))).mode & 0o777).to.equal(0o600);
    await writeFile(join(dir, "target"), "theirs");
    await symlink(join(dir, "target"), join(dir, "link"));
    const error = await writeSecretFile(join(dir, "link"), "secret").catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InfrastructureError);
    expect(await readFile(join(dir, "target"), "utf8")).to.equal("theirs");
    expect(await writeSecretFile(join(dir, "k"), "again").catch((e: unknown) => e)).to.be.instanceOf(
      InfrastructureError,
    );
  });
});

describe("newKeyPair", () => {
  it("never hands out a key whose public half ssh2 truncated (1 in 256 raw pairs; 2000 pairs here)", () => {
    for (let i = 0; i < 2000; i++) {
      const pair = newKeyPair("macvlab-test");
      expect(pair.publicBlob.length, `pair ${i}: ${pair.publicLine}`).to.equal(51);
      const parsed = ssh2.utils.parseKey(pair.privateKey);
      if (parsed instanceof Error) throw parsed;
      expect(parsed.getPublicSSH().equals(pair.publicBlob), `pair ${i}: private and public halves disagree`).to.equal(
        true,
      );
    }
  });
});
