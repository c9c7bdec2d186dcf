/**
 * A passwd whose root shell is /bin/sh. sshd runs every command through root's login shell, and the
 * host's bash would run root's dotfiles, whatever they do (here `pyenv init`, whose `pyenv rehash`
 * takes a lock): commands must not run through them.
 */
export function neutralPasswd(passwd: string): string {
  return passwd
    .split("\n")
    .map((line) => (line.startsWith("root:") ? line.replace(/:[^:]*$/, ":/bin/sh") : line))
    .join("\n");
}
