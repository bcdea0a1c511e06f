// Blocks that draw nothing: `state` (its value stays on the server) and
// `timer` (the server ticks it). Their props still live in the store, so
// listeners' `js` functions and later updates find them.

import { type BlockFactory, h } from "./block";

const nothing: BlockFactory = () => ({ element: h("div"), update: () => {} });

export const state = nothing;
export const timer = nothing;
