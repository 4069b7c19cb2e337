// Wires the kiosk page: the conversation (chat.js), the voice panel (voice.js), the visit and
// its welcome (visit.js), the display (display.js), the clock (clock.js) and what Donna says
// unasked (notices.js) and of her connection (link.js). No business logic lives in ui/; every sentence the page shows is in
// strings.js.

import { startChat } from "./chat.js";
import { startClock } from "./clock.js";
import { resetDisplay, startDisplay } from "./display.js";
import { startLink } from "./link.js";
import { startNotices } from "./notices.js";
import { startHeartbeat, transportKind } from "./transport.js";
import { activity, onReset, startVisits } from "./visit.js";
import { startVoicePanel } from "./voice.js";

document.body.dataset.transport = transportKind;
startHeartbeat();
startChat();
startVoicePanel(activity);
startClock();
startNotices();
startLink();
onReset(resetDisplay);
startVisits().then((screen) => startDisplay(screen.mode));
