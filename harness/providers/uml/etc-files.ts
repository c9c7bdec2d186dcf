/**
 * The host's /etc/passwd with root's shell set to /bin/sh and root's home set to `home`.
 * Why the shell: sshd runs every command through the login shell, and bash reads root's dotfiles
 * (~4.3 s per command inside UML on these machines). Why the home: sshd chdirs there and prints
 * "Could not chdir to home directory" into every command's stderr when it cannot (a non-root
 * host user cannot enter /root).
 */
export function passwdForUml(hostPasswd: string, home: string): string {
  const lines = hostPasswd.split("\n").filter((line) => line !== "");
  const root = `root:x:0:0:root:${home}:/bin/sh`;
  const others = lines.filter((line) => !line.startsWith("root:"));
  return `${[root, ...others].join("\n")}\n`;
}

/**
 * A shadow file with only root, whose password field is `*`: no password can match, yet OpenSSH
 * does not treat the account as locked (that is `!…`), so key login works. The host's own shadow
 * is unreadable to a non-root user, and sshd then refuses root as "account is locked".
 */
export function shadowForUml(): string {
  return "root:*:19000:0:99999:7:::\n";
}
