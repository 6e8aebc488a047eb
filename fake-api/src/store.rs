//! In-memory connector data: accounts holding SSO connector objects in a stable order.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The account seeded by default.
pub const SEED_ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";

/// Verification statuses, cycled through by generated connectors.
const STATUSES: [&str; 4] = ["awaiting", "pending", "failed", "verified"];

/// One account's connectors: listing order plus lookup by id.
#[derive(Debug, Default, Clone)]
struct Account {
    order: Vec<String>,
    by_id: HashMap<String, Value>,
    generated: u64,
}

/// All accounts and their connectors, stored verbatim as the API returns them.
#[derive(Debug, Default, Clone)]
pub struct Store {
    accounts: BTreeMap<String, Account>,
}

/// The outcome of looking up one connector.
#[derive(Debug, PartialEq)]
pub enum Lookup<'a> {
    /// The stored object.
    Found(&'a Value),
    /// The account does not exist.
    NoAccount,
    /// The account exists but has no connector with that id.
    NoConnector,
}

/// One page of an account's connectors.
#[derive(Debug, PartialEq)]
pub struct Page {
    /// The connectors on the page, in listing order.
    pub items: Vec<Value>,
    /// How many connectors the account holds.
    pub total: u64,
    /// How many pages there are at this page size.
    pub total_pages: u64,
}

/// Why a control-API merge failed.
#[derive(Debug, PartialEq, Eq)]
pub enum PatchError {
    /// No such account or connector.
    NotFound,
    /// The stored value is not a JSON object, so it cannot be merged into.
    NotAnObject,
}

/// Where a page starts and ends in a list of `total` items.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct PageBounds {
    /// Index of the first item on the page (clamped to `total`).
    pub start: u64,
    /// Index one past the last item on the page (clamped to `total`).
    pub end: u64,
    /// `ceil(total / per_page)`.
    pub total_pages: u64,
}

/// Computes the bounds of 1-based `page` with `per_page` items (both at least 1).
pub fn page_bounds(total: u64, page: u64, per_page: u64) -> PageBounds {
    let per_page = per_page.max(1);
    let start = page.saturating_sub(1).saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    PageBounds {
        start,
        end,
        total_pages: total.div_ceil(per_page),
    }
}

/// The id of the `index`-th (0-based) generated connector of an account:
/// `"fe"` followed by the index as 30 zero-padded lowercase hex digits.
pub fn generated_id(index: u64) -> String {
    format!("fe{index:030x}")
}

/// Formats a timestamp the way the API does: `2025-01-01T12:21:02.0000Z`.
fn api_timestamp(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.0000Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The `index`-th generated connector: deterministic values that vary with the index.
pub fn generated_connector(index: u64) -> Value {
    let id = generated_id(index);
    let base = datetime!(2025-01-01 00:00:00 UTC);
    let minutes = i64::try_from(index).unwrap_or(i64::MAX);
    let created = base.checked_add(Duration::minutes(minutes)).unwrap_or(base);
    let updated = created.checked_add(Duration::days(1)).unwrap_or(created);
    let status = STATUSES[usize::try_from(index % 4).unwrap_or(0)];
    json!({
        "id": id,
        "email_domain": format!("sso-{index}.example.com"),
        "enabled": index % 2 == 0,
        "use_fedramp_language": index % 3 == 0,
        "created_on": api_timestamp(created),
        "updated_on": api_timestamp(updated),
        "verification": {
            "code": format!("cloudflare_dashboard_sso={id}"),
            "status": status,
        },
    })
}

impl Store {
    /// The default data: one account with three connectors (see the module docs of `main`).
    pub fn seed() -> Self {
        let mut store = Store::default();
        let connectors = [
            json!({
                "id": "f1740f3ab5b64d3b9ef1d0c9a1b2c3d4",
                "created_on": "2025-01-01T12:21:02.0000Z",
                "email_domain": "example.com",
                "enabled": true,
                "updated_on": "2025-03-04T05:06:07.1234Z",
                "use_fedramp_language": false,
                "verification": {
                    "code": "cloudflare_dashboard_sso=f1740f3ab5b64d3b9ef1d0c9a1b2c3d4",
                    "status": "verified"
                }
            }),
            json!({
                "id": "023e105f4ecef8ad9ca31a8372d0c353",
                "created_on": "2025-01-01T12:21:02.0000Z",
                "email_domain": "example.com",
                "enabled": false,
                "updated_on": "2025-01-01T12:21:02.0000Z",
                "use_fedramp_language": false,
                "verification": {
                    "code": "cloudflare_dashboard_sso=023e105f4ecef8ad9ca31a8372d0c353",
                    "status": "pending"
                }
            }),
            json!({
                "id": "9a8b7c6d5e4f30211203f4e5d6c7b8a9",
                "created_on": "2025-02-02T08:09:10.5000Z",
                "email_domain": "partial.example.net",
                "enabled": true,
                "updated_on": "2025-02-03T08:09:10.0000Z"
            }),
        ];
        store.ensure_account(SEED_ACCOUNT);
        for connector in connectors {
            if let Some(id) = connector
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
            {
                store.upsert(SEED_ACCOUNT, &id, connector);
            }
        }
        store
    }

    /// Builds a store from a data file's JSON: `{"accounts": {"<account>": [connector, ...]}}`.
    ///
    /// Each account may also map ids to connectors (`{"<id>": {...}}`), which allows objects
    /// without an `id` field.
    pub fn from_data(data: &Value) -> Result<Self, String> {
        let accounts = data
            .get("accounts")
            .and_then(Value::as_object)
            .ok_or("the data must be a JSON object with an \"accounts\" object")?;
        let mut store = Store::default();
        for (account, connectors) in accounts {
            store.ensure_account(account);
            let entries: Vec<(String, Value)> = match connectors {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(n, item)| {
                        item.get("id")
                            .and_then(Value::as_str)
                            .map(|id| (id.to_string(), item.clone()))
                            .ok_or_else(|| format!("accounts.{account}[{n}] has no string \"id\""))
                    })
                    .collect::<Result<_, _>>()?,
                Value::Object(map) => map.iter().map(|(id, v)| (id.clone(), v.clone())).collect(),
                _ => return Err(format!("accounts.{account} must be an array or an object")),
            };
            for (id, value) in entries {
                if matches!(store.get(account, &id), Lookup::Found(_)) {
                    return Err(format!("accounts.{account}: duplicate connector id {id:?}"));
                }
                store.upsert(account, &id, value);
            }
        }
        Ok(store)
    }

    /// Appends `count` generated connectors to `account` (created if missing), continuing
    /// the account's generated index across calls.
    pub fn generate(&mut self, account: &str, count: u64) {
        let start = self.accounts.get(account).map_or(0, |a| a.generated);
        for index in start..start.saturating_add(count) {
            self.upsert(account, &generated_id(index), generated_connector(index));
        }
        if let Some(a) = self.accounts.get_mut(account) {
            a.generated = start.saturating_add(count);
        }
    }

    /// Looks up one connector.
    pub fn get(&self, account: &str, id: &str) -> Lookup<'_> {
        match self.accounts.get(account) {
            None => Lookup::NoAccount,
            Some(a) => a.by_id.get(id).map_or(Lookup::NoConnector, Lookup::Found),
        }
    }

    /// One page of an account's connectors, or `None` if the account does not exist.
    pub fn page(&self, account: &str, page: u64, per_page: u64) -> Option<Page> {
        let a = self.accounts.get(account)?;
        let total = u64::try_from(a.order.len()).unwrap_or(u64::MAX);
        let bounds = page_bounds(total, page, per_page);
        let start = usize::try_from(bounds.start).unwrap_or(usize::MAX);
        let end = usize::try_from(bounds.end).unwrap_or(usize::MAX);
        let items = a
            .order
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .filter_map(|id| a.by_id.get(id).cloned())
            .collect();
        Some(Page {
            items,
            total,
            total_pages: bounds.total_pages,
        })
    }

    /// Creates or replaces a connector; returns whether it was created.
    /// A new connector goes to the end of the listing; a replaced one keeps its place.
    pub fn upsert(&mut self, account: &str, id: &str, value: Value) -> bool {
        let a = self.accounts.entry(account.to_string()).or_default();
        let created = a.by_id.insert(id.to_string(), value).is_none();
        if created {
            a.order.push(id.to_string());
        }
        created
    }

    /// Shallow-merges `patch` into a stored object (and merges a `verification` object
    /// into the stored `verification` object); returns the merged object.
    pub fn patch(
        &mut self,
        account: &str,
        id: &str,
        patch: &Map<String, Value>,
    ) -> Result<Value, PatchError> {
        let target = self
            .accounts
            .get_mut(account)
            .and_then(|a| a.by_id.get_mut(id))
            .ok_or(PatchError::NotFound)?;
        let object = target.as_object_mut().ok_or(PatchError::NotAnObject)?;
        for (key, value) in patch {
            if key == "verification" {
                if let (Some(existing), Value::Object(fields)) =
                    (object.get_mut(key).and_then(Value::as_object_mut), value)
                {
                    for (k, v) in fields {
                        existing.insert(k.clone(), v.clone());
                    }
                    continue;
                }
            }
            object.insert(key.clone(), value.clone());
        }
        Ok(target.clone())
    }

    /// Removes a connector; returns whether it existed.
    pub fn remove(&mut self, account: &str, id: &str) -> bool {
        let Some(a) = self.accounts.get_mut(account) else {
            return false;
        };
        let existed = a.by_id.remove(id).is_some();
        if existed {
            a.order.retain(|x| x != id);
        }
        existed
    }

    /// Creates an empty account if missing; returns whether it was created.
    pub fn ensure_account(&mut self, account: &str) -> bool {
        if self.accounts.contains_key(account) {
            return false;
        }
        self.accounts
            .insert(account.to_string(), Account::default());
        true
    }

    /// Removes an account and its connectors; returns whether it existed.
    pub fn remove_account(&mut self, account: &str) -> bool {
        self.accounts.remove(account).is_some()
    }

    /// The whole store in the data-file format (`{"accounts": {id: [connector, ...]}}`).
    pub fn to_data(&self) -> Value {
        let accounts: Map<String, Value> = self
            .accounts
            .iter()
            .map(|(name, a)| {
                let items = a
                    .order
                    .iter()
                    .filter_map(|id| a.by_id.get(id).cloned())
                    .collect();
                (name.clone(), Value::Array(items))
            })
            .collect();
        json!({ "accounts": accounts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_math() {
        assert_eq!(
            page_bounds(0, 1, 20),
            PageBounds {
                start: 0,
                end: 0,
                total_pages: 0
            }
        );
        assert_eq!(
            page_bounds(45, 1, 20),
            PageBounds {
                start: 0,
                end: 20,
                total_pages: 3
            }
        );
        assert_eq!(
            page_bounds(45, 3, 20),
            PageBounds {
                start: 40,
                end: 45,
                total_pages: 3
            }
        );
        assert_eq!(
            page_bounds(45, 4, 20),
            PageBounds {
                start: 45,
                end: 45,
                total_pages: 3
            }
        );
        assert_eq!(
            page_bounds(40, 2, 20),
            PageBounds {
                start: 20,
                end: 40,
                total_pages: 2
            }
        );
        assert_eq!(page_bounds(5, u64::MAX, 100).start, 5);
    }

    #[test]
    fn generated_ids_are_32_lowercase_hex_and_distinct() {
        assert_eq!(generated_id(0), "fe000000000000000000000000000000");
        assert_eq!(generated_id(255), "fe0000000000000000000000000000ff");
        for i in [0, 1, 17, 999_999, u64::MAX] {
            let id = generated_id(i);
            assert_eq!(id.len(), 32, "{id}");
            assert!(id
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        }
        let c = generated_connector(61);
        assert_eq!(c["id"], generated_id(61));
        assert_eq!(c["created_on"], "2025-01-01T01:01:00.0000Z");
        assert_eq!(c["updated_on"], "2025-01-02T01:01:00.0000Z");
        assert_eq!(c["verification"]["status"], "pending");
    }

    #[test]
    fn generate_appends_and_continues_numbering() {
        let mut store = Store::seed();
        store.generate(SEED_ACCOUNT, 2);
        store.generate(SEED_ACCOUNT, 1);
        let page = store.page(SEED_ACCOUNT, 1, 100).unwrap();
        assert_eq!(page.total, 6);
        let ids: Vec<_> = page
            .items
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids[0], "f1740f3ab5b64d3b9ef1d0c9a1b2c3d4");
        assert_eq!(
            ids[3..],
            [generated_id(0), generated_id(1), generated_id(2)]
        );
        assert_eq!(store.page("nope", 1, 20), None);
    }

    #[test]
    fn upsert_patch_remove() {
        let mut store = Store::seed();
        let id = "f1740f3ab5b64d3b9ef1d0c9a1b2c3d4";
        let patch = json!({"enabled": false, "verification": {"status": "failed"}});
        let merged = store
            .patch(SEED_ACCOUNT, id, patch.as_object().unwrap())
            .unwrap();
        assert_eq!(merged["enabled"], false);
        assert_eq!(merged["verification"]["status"], "failed");
        assert!(merged["verification"]["code"].is_string());
        assert!(!store.upsert(SEED_ACCOUNT, id, json!({"x": 1})));
        assert_eq!(store.get(SEED_ACCOUNT, id), Lookup::Found(&json!({"x": 1})));
        assert_eq!(
            store.page(SEED_ACCOUNT, 1, 1).unwrap().items,
            vec![json!({"x": 1})]
        );
        assert!(store.remove(SEED_ACCOUNT, id));
        assert_eq!(store.get(SEED_ACCOUNT, id), Lookup::NoConnector);
        assert_eq!(store.get("other", id), Lookup::NoAccount);
        assert_eq!(
            store.patch(SEED_ACCOUNT, id, &Map::new()),
            Err(PatchError::NotFound)
        );
    }

    #[test]
    fn data_file_formats() {
        let data = json!({"accounts": {
            "a": [{"id": "1", "enabled": true}],
            "b": {"2": {"email_domain": "x"}},
            "c": []
        }});
        let store = Store::from_data(&data).unwrap();
        assert!(matches!(store.get("a", "1"), Lookup::Found(_)));
        assert!(matches!(store.get("b", "2"), Lookup::Found(_)));
        assert_eq!(store.page("c", 1, 20).unwrap().total, 0);
        assert!(Store::from_data(&json!({"accounts": {"a": [{"x": 1}]}})).is_err());
        assert!(Store::from_data(&json!({"accounts": {"a": [{"id": "1"}, {"id": "1"}]}})).is_err());
        assert!(Store::from_data(&json!([])).is_err());
    }
}
