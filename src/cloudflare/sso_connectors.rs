//! `cloudflare_sso_connectors`: the SSO connectors of an account, read with
//! GET /accounts/{account_id}/sso_connectors page after page until
//! `max_items` or the last page (the official provider reads only the first).

use std::collections::HashSet;

use async_trait::async_trait;

use crate::cloudflare::account::{self, Account};
use crate::cloudflare::client::{ApiClient, Reading};
use crate::cloudflare::data_source::ApiDataSource;
use crate::cloudflare::envelope::ResultInfo;
use crate::cloudflare::numeric::NumberRange;
use crate::cloudflare::sso_connector::{sso_request, Connector};
use crate::plugin::AttributePath;
use crate::plugin::TfObject;
use crate::plugin::{Diagnostic, Diagnostics};

/// Items returned when `max_items` is unset or 0, as in the official provider.
pub(crate) const DEFAULT_MAX_ITEMS: usize = 1000;
/// Items asked for per page: a size Cloudflare's account-level lists accept.
pub const PER_PAGE: u64 = 50;
/// Pages read at most, so a server that never says "last page" cannot keep a read going.
pub(crate) const MAX_PAGES: u64 = 1000;

/// Arguments and attributes of `cloudflare_sso_connectors`.
#[derive(Debug, Clone, PartialEq, TfObject)]
pub struct SsoConnectors {
    /// The account listed.
    #[tf(flatten)]
    pub account: Account,
    /// Max items to fetch, default: 1000. Must be 0 or more; 0 also means 1000, as in the official provider. Pages are followed until this many connectors are read or the last page is reached.
    #[tf(optional, validate = NumberRange::whole_at_least("Invalid max_items", 0))]
    pub max_items: Option<i64>,
    /// The items returned by the data source.
    #[tf(computed)]
    pub result: Option<Vec<Connector>>,
}

/// What to do after a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Read this page next.
    Page(u64),
    /// The list is complete (or `max_items` reached).
    Done,
}

/// Collects connectors page by page and decides when to stop: at the limit, on
/// an empty page, on a page with nothing new, on the last page by
/// `result_info`, or when the API does not paginate at all. It remembers
/// what makes the list doubtful (connectors listed twice, a page that
/// repeated earlier ones, fewer connectors than the API counted) for
/// [`Pager::warnings`].
#[derive(Debug)]
pub struct Pager {
    limit: usize,
    per_page: u64,
    page: u64,
    received: u64,
    seen: HashSet<String>,
    items: Vec<Connector>,
    duplicates: u64,
    repeated_page: Option<u64>,
    total_count: Option<u64>,
}

impl Pager {
    /// A pager keeping at most `limit` items, asking for `per_page` per page.
    pub fn new(limit: usize, per_page: u64) -> Self {
        Self {
            limit,
            per_page,
            page: 1,
            received: 0,
            seen: HashSet::new(),
            items: Vec::new(),
            duplicates: 0,
            repeated_page: None,
            total_count: None,
        }
    }

    /// Takes the current page's items and pagination; says what to read next.
    pub fn take(&mut self, items: Vec<Connector>, info: Option<&ResultInfo>) -> Next {
        let on_page = u64::try_from(items.len()).unwrap_or(u64::MAX);
        let mut new = 0_u64;
        for item in items {
            if let Some(id) = &item.id {
                if !self.seen.insert(id.clone()) {
                    self.duplicates += 1;
                    continue;
                }
            }
            new += 1;
            if self.items.len() < self.limit {
                self.items.push(item);
            }
        }
        self.received = self.received.saturating_add(new);
        let Some(info) = info else {
            return Next::Done;
        };
        if info.total_count.is_some() {
            self.total_count = info.total_count;
        }
        if new == 0 && on_page > 0 {
            self.repeated_page = Some(self.page);
        }
        // A total_pages of 0 with items on the page says nothing: go by the
        // count and the page size instead.
        let last_page = info
            .total_pages
            .filter(|total| *total > 0)
            .is_some_and(|total| self.page >= total)
            || info.total_count.is_some_and(|total| self.received >= total)
            || on_page < info.per_page.unwrap_or(self.per_page);
        if new == 0 || self.items.len() >= self.limit || last_page {
            return Next::Done;
        }
        self.page += 1;
        Next::Page(self.page)
    }

    /// Warnings about a list that may not be what the account holds,
    /// listing `what`: connectors listed more than once, a page that held
    /// only connectors of earlier pages, or an end short of the count the
    /// API gave (unless `max_items` was reached).
    pub fn warnings(&self, what: &str) -> Vec<Diagnostic> {
        let mut warnings = Vec::new();
        let kept = u64::try_from(self.items.len()).unwrap_or(u64::MAX);
        let full = self.items.len() >= self.limit;
        if self.duplicates > 0 {
            warnings.push(Diagnostic::warning(
                "SSO connectors listed more than once",
                format!(
                    "Listing {what}, the API returned {} more than once (the same id again); each is kept once, in the place it first appeared. This happens when connectors are added or removed while the pages are read; run the plan again if the list matters.",
                    count(self.duplicates, "connector", "connectors")
                ),
            ));
        }
        let short = self
            .total_count
            .filter(|total| !full && self.received < *total);
        match (short, self.repeated_page) {
            (Some(total), repeated) => {
                let why = match repeated {
                    Some(page) => format!(" Page {page} held only connectors of earlier pages, so the listing stopped there: if base_url points at a proxy, check that it passes the page parameter on."),
                    None => " The API's last page came before the count was reached; connectors may have been removed while the pages were read.".to_string(),
                };
                warnings.push(Diagnostic::warning(
                    "SSO connector list may be incomplete",
                    format!(
                        "Listing {what} ended with {}, but the API counted {total} (result_info.total_count).{why} Run the plan again; if it persists, check the connectors in the Cloudflare dashboard.",
                        count(kept, "connector", "connectors")
                    ),
                ));
            }
            (None, Some(page)) if !full => warnings.push(Diagnostic::warning(
                "SSO connector list may be incomplete",
                format!(
                    "Listing {what}, page {page} held only connectors of earlier pages, so the listing stopped there with {}. If base_url points at a proxy, check that it passes the page parameter on.",
                    count(kept, "connector", "connectors")
                ),
            )),
            _ => {}
        }
        warnings
    }

    /// The connectors collected, in API order.
    pub fn into_items(self) -> Vec<Connector> {
        self.items
    }
}

/// `n` with the singular or plural noun.
fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl SsoConnectors {
    /// The state for these arguments and the connectors read, in API order,
    /// each normalised at its place in `result`.
    pub fn listed(
        account_id: String,
        max_items: Option<i64>,
        items: Vec<Connector>,
    ) -> Result<Self, Diagnostics> {
        let result = AttributePath::attribute("result");
        let connectors = items
            .into_iter()
            .enumerate()
            .map(|(index, item)| {
                item.normalized(&result.then_index(i64::try_from(index).unwrap_or(i64::MAX)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            account: Account::read(account_id),
            max_items,
            result: Some(connectors),
        })
    }
}

/// The data source.
pub(crate) struct SsoConnectorsDataSource;

#[async_trait]
impl ApiDataSource for SsoConnectorsDataSource {
    type Model = SsoConnectors;

    const TYPE_NAME: &'static str = "cloudflare_sso_connectors";
    const DESCRIPTION: &'static str = "Lists the SSO connectors of a Cloudflare account, following every page up to `max_items`. Needs an API token with the `SSO Connector Read` permission.";

    async fn read(
        &self,
        client: &ApiClient,
        config: SsoConnectors,
        reading: &mut Reading,
    ) -> Result<SsoConnectors, Diagnostics> {
        let account_id = config.account.id()?;
        let context = {
            let account_id = account_id.clone();
            sso_request(
                format!("the SSO connectors of account \"{account_id}\""),
                move || {
                    format!(
                        "Account \"{account_id}\" does not exist or the token cannot see it. Check account_id (or {}).",
                        account::ENV_ACCOUNT_ID
                    )
                },
                "account_id",
            )
        };
        let limit = match config.max_items {
            Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => DEFAULT_MAX_ITEMS,
        };
        let per_page = PER_PAGE.min(u64::try_from(limit).unwrap_or(u64::MAX));
        let mut pager = Pager::new(limit, per_page);
        let mut page = 1_u64;
        loop {
            if page > MAX_PAGES {
                return Err(Diagnostic::error(
                    "Too many pages of SSO connectors",
                    format!(
                        "Listing {} did not end after {MAX_PAGES} pages of {per_page}. Set max_items to read fewer connectors; if base_url points at a proxy, check that it passes the page parameter on.",
                        context.what
                    ),
                )
                .into());
            }
            let response = client
                .get::<Vec<Connector>>(
                    &["accounts", &account_id, "sso_connectors"],
                    &[
                        ("page", page.to_string()),
                        ("per_page", per_page.to_string()),
                    ],
                    &context,
                    reading,
                )
                .await?;
            match pager.take(response.result, response.result_info.as_ref()) {
                Next::Page(next) => page = next,
                Next::Done => break,
            }
        }
        for warning in pager.warnings(&context.what) {
            reading.warn(warning);
        }
        SsoConnectors::listed(account_id, config.max_items, pager.into_items())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{AttributeKind, Mode, Nesting};

    fn connectors(ids: std::ops::Range<u32>) -> Vec<Connector> {
        ids.map(|n| Connector {
            id: Some(format!("c{n}")),
            ..Connector::default()
        })
        .collect()
    }

    fn info(page: u64, per_page: u64, total_count: u64) -> ResultInfo {
        ResultInfo {
            count: None,
            page: Some(page),
            per_page: Some(per_page),
            total_count: Some(total_count),
            total_pages: Some(total_count.div_ceil(per_page)),
        }
    }

    #[test]
    fn schema_matches_the_official_provider() {
        let attrs = SsoConnectors::attributes();
        let modes: Vec<(&str, Mode)> = attrs.iter().map(|a| (a.name.as_str(), a.mode)).collect();
        assert_eq!(
            modes,
            [
                ("account_id", Mode::OptionalComputed),
                ("max_items", Mode::Optional),
                ("result", Mode::Computed)
            ]
        );
        match &attrs[2].kind {
            AttributeKind::Nested {
                nesting,
                attributes,
            } => {
                assert_eq!(*nesting, Nesting::List);
                let names: Vec<&str> = attributes.iter().map(|a| a.name.as_str()).collect();
                assert_eq!(
                    names,
                    [
                        "id",
                        "created_on",
                        "email_domain",
                        "enabled",
                        "updated_on",
                        "use_fedramp_language",
                        "verification"
                    ]
                );
            }
            other => panic!("result should be a nested list, got {other:?}"),
        }
    }

    #[test]
    fn follows_pages_until_the_last_one() {
        let mut pager = Pager::new(1000, 50);
        assert_eq!(
            pager.take(connectors(0..50), Some(&info(1, 50, 120))),
            Next::Page(2)
        );
        assert_eq!(
            pager.take(connectors(50..100), Some(&info(2, 50, 120))),
            Next::Page(3)
        );
        assert_eq!(
            pager.take(connectors(100..120), Some(&info(3, 50, 120))),
            Next::Done
        );
        assert_eq!(pager.into_items().len(), 120);
    }

    #[test]
    fn stops_at_max_items() {
        let mut pager = Pager::new(70, 50);
        assert_eq!(
            pager.take(connectors(0..50), Some(&info(1, 50, 120))),
            Next::Page(2)
        );
        assert_eq!(
            pager.take(connectors(50..100), Some(&info(2, 50, 120))),
            Next::Done
        );
        let items = pager.into_items();
        assert_eq!(items.len(), 70);
        assert_eq!(items[69].id.as_deref(), Some("c69"));
    }

    #[test]
    fn guards_against_servers_that_never_end() {
        let endless = ResultInfo {
            total_pages: Some(u64::MAX),
            ..ResultInfo::default()
        };
        let mut pager = Pager::new(1000, 2);
        assert_eq!(pager.take(connectors(0..2), Some(&endless)), Next::Page(2));
        // The same page again: nothing new, so stop (and keep no duplicates).
        assert_eq!(pager.take(connectors(0..2), Some(&endless)), Next::Done);
        assert_eq!(pager.into_items().len(), 2);
        let mut pager = Pager::new(1000, 2);
        assert_eq!(pager.take(Vec::new(), Some(&endless)), Next::Done);
    }

    #[test]
    fn repeated_pages_duplicates_and_short_lists_are_warned_about() {
        let what = "the SSO connectors of account \"a\"";
        let mut pager = Pager::new(1000, 2);
        assert_eq!(
            pager.take(connectors(0..2), Some(&info(1, 2, 6))),
            Next::Page(2)
        );
        assert_eq!(
            pager.take(connectors(0..2), Some(&info(2, 2, 6))),
            Next::Done
        );
        let warnings = pager.warnings(what);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings.iter().all(|w| !w.is_error()));
        assert!(
            warnings[0].detail.contains("2 connectors more than once"),
            "{}",
            warnings[0].detail
        );
        assert!(
            warnings[1]
                .detail
                .contains("ended with 2 connectors, but the API counted 6"),
            "{}",
            warnings[1].detail
        );
        assert!(warnings[1]
            .detail
            .contains("Page 2 held only connectors of earlier pages"));

        let zero_pages = ResultInfo {
            total_pages: Some(0),
            total_count: Some(5),
            per_page: Some(2),
            ..ResultInfo::default()
        };
        let mut pager = Pager::new(1000, 2);
        assert_eq!(
            pager.take(connectors(0..2), Some(&zero_pages)),
            Next::Page(2),
            "total_pages 0 is no last page"
        );
        assert_eq!(pager.take(connectors(2..3), Some(&zero_pages)), Next::Done);
        let warnings = pager.warnings(what);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0]
                .detail
                .contains("ended with 3 connectors, but the API counted 5"),
            "{}",
            warnings[0].detail
        );

        let mut complete = Pager::new(1000, 50);
        complete.take(connectors(0..50), Some(&info(1, 50, 60)));
        complete.take(connectors(50..60), Some(&info(2, 50, 60)));
        assert!(complete.warnings(what).is_empty());
        let mut capped = Pager::new(10, 10);
        capped.take(connectors(0..10), Some(&info(1, 10, 60)));
        assert!(
            capped.warnings(what).is_empty(),
            "max_items reached is no short list"
        );
    }

    #[test]
    fn an_unpaginated_answer_is_the_whole_list() {
        let mut pager = Pager::new(1000, 50);
        assert_eq!(pager.take(connectors(0..50), None), Next::Done);
        assert_eq!(pager.into_items().len(), 50);
    }

    #[test]
    fn a_short_page_is_the_last_even_without_totals() {
        let partial = ResultInfo {
            per_page: Some(50),
            ..ResultInfo::default()
        };
        let mut pager = Pager::new(1000, 50);
        assert_eq!(pager.take(connectors(0..50), Some(&partial)), Next::Page(2));
        assert_eq!(pager.take(connectors(50..60), Some(&partial)), Next::Done);
    }
}
