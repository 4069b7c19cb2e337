//! The items as the client knows them and the recent text history that re-seeds a new connection.

use super::*;

impl ClientSession {
    pub(super) fn insert_item_id(&mut self, id: String, previous: Option<&str>) {
        if self.items.contains_key(&id) || self.order.contains(&id) {
            return;
        }
        let at = previous
            .and_then(|p| self.order.iter().position(|o| o == p))
            .map_or(self.order.len(), |i| i + 1);
        self.order.insert(at, id);
    }

    pub(super) fn upsert_item(&mut self, item: Item, previous: Option<&str>) {
        let Some(id) = item.id().map(str::to_owned) else {
            return;
        };
        if !self.order.contains(&id) {
            self.insert_item_id(id.clone(), previous);
        }
        self.items.insert(id, item);
    }

    /// Keep a finished message's text for re-seeding.
    pub(super) fn remember(&mut self, item: &Item) {
        if let (Item::Message { role, .. }, Some(id)) = (item, item.id()) {
            let text = item.text();
            if !text.trim().is_empty() {
                self.remember_text(id, *role, &text);
            }
        }
    }

    pub(super) fn remember_text(&mut self, id: &str, role: Role, text: &str) {
        if let Some(entry) = self.history.iter_mut().find(|h| h.id == id) {
            entry.text = text.to_owned();
            return;
        }
        if self.history_limit == 0 {
            return;
        }
        self.history.push_back(HistoryEntry {
            id: id.to_owned(),
            role,
            text: text.to_owned(),
        });
        while self.history.len() > self.history_limit {
            self.history.pop_front();
        }
    }
}
