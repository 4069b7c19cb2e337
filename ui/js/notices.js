// What Donna says unasked, such as a staff member on their way, shown in the conversation.

import { addMessage } from "./chat.js";
import { onNotice } from "./transport.js";

/** Show each notice for the visitor at this screen as it comes. */
export function startNotices() {
  onNotice((text) => addMessage("donna notice", text));
}
