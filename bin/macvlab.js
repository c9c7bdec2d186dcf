#!/usr/bin/env node
// The harness is TypeScript run by tsx (TypeScript 7 has no JS API to compile on the fly).
import { register } from "tsx/esm/api";

register();
await import("../harness/cli/main.ts");
