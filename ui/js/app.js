// Wires the kiosk page: the conversation (chat.js), the voice panel (voice.js), the clock
// (clock.js) and what Donna says unasked (notices.js). No business logic lives in ui/; every
// sentence the page shows is in strings.js.

import { startChat } from "./chat.js";
import { startClock } from "./clock.js";
import { startNotices } from "./notices.js";
import { transportKind } from "./transport.js";
import { startVoicePanel } from "./voice.js";

document.body.dataset.transport = transportKind;
startChat();
startVoicePanel();
startClock();
startNotices();
