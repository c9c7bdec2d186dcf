export { assertOutcome, assertOutcomeFails, holds, type Outcome } from "./outcome.ts";
export { expectPing } from "./ping.ts";
export { expectRoute } from "./route.ts";
export { expectLink, expectMac } from "./link.ts";
export { expectSysctl, expectStep, type StepOutcome } from "./simple.ts";
export { expectCapture } from "./capture.ts";
