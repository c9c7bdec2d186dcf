import { InputError } from "../model/errors.ts";
import { ContainersProvider } from "./containers/containers-provider.ts";
import { NetnsProvider } from "./netns/netns-provider.ts";
import type { Provider } from "./provider.ts";
import { UmlProvider } from "./uml/uml-provider.ts";
import { VagrantProvider } from "./vagrant/vagrant-provider.ts";

/** Fastest first: `auto` takes the first one that can run a scenario. */
const FACTORIES: ReadonlyArray<[string, () => Provider]> = [
  ["netns", () => new NetnsProvider()],
  ["uml", () => new UmlProvider()],
  // Last of those `auto` may choose: it answers only where a Docker engine does.
  ["containers", () => new ContainersProvider()],
  // Only when asked for (`--provider vagrant`): `auto` never boots VMs.
  ["vagrant", () => new VagrantProvider()],
];

/** Providers `auto` may choose. */
const AUTO = new Set(["netns", "uml", "containers"]);

export const PROVIDER_NAMES = FACTORIES.map(([name]) => name);

export function providerNamed(name: string): Provider {
  const factory = FACTORIES.find(([n]) => n === name)?.[1];
  if (!factory) throw new InputError(`unknown provider "${name}" (choose one of: auto, ${PROVIDER_NAMES.join(", ")})`);
  return factory();
}

/** `auto` means every provider, in order of speed; otherwise exactly the one named. */
export function providersFor(choice: string): Provider[] {
  return choice === "auto"
    ? FACTORIES.filter(([name]) => AUTO.has(name)).map(([, make]) => make())
    : [providerNamed(choice)];
}
