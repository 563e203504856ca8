/**
 * MemoryHistory against the HistoryStore contract (tests/helpers/history_contract.ts),
 * the reference the other stores are held to.
 */

import { MemoryHistory } from "../history.ts";
import { historyContract } from "./helpers/history_contract.ts";

historyContract("MemoryHistory", () => Promise.resolve(new MemoryHistory()));
