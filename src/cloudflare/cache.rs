//! Request coalescing and reuse: identical concurrent GETs share one HTTP
//! request, and a successful result is kept for the life of the configured
//! provider (one Terraform walk), so a thousand data sources over ten
//! connectors cost ten requests. Failures are never kept: the next read tries
//! again.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use moka::future::Cache;

/// Most bytes of response bodies kept; beyond it the least used results go.
pub(crate) const MAX_CACHED_BYTES: u64 = 32 << 20;

/// A successful result, typed by its reader but stored without its type.
#[derive(Clone)]
struct Entry {
    value: Arc<dyn Any + Send + Sync>,
    weight: u32,
}

/// Results of GET requests by URL.
#[derive(Clone)]
pub(crate) struct ResponseCache {
    entries: Cache<String, Entry>,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

impl Default for ResponseCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ResponseCache {
    /// An empty cache.
    pub(crate) fn new() -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(MAX_CACHED_BYTES)
                .weigher(|_key: &String, entry: &Entry| entry.weight)
                .build(),
        }
    }

    /// The result for `key`: kept from before, shared with a fetch already in
    /// flight, or fetched now by `fetch`, which returns the value and the size
    /// of the body it came from. Errors reach every caller waiting on the same
    /// fetch and are then forgotten. `mismatch` makes the error for a kept
    /// value of another type than `T` (a bug: two readers of one URL).
    pub(crate) async fn get_or_fetch<T, E, F>(
        &self,
        key: String,
        fetch: F,
        mismatch: impl FnOnce() -> E,
    ) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        E: Clone + Send + Sync + 'static,
        F: Future<Output = Result<(T, usize), E>>,
    {
        let entry = self
            .entries
            .try_get_with(key, async move {
                let (value, size) = fetch.await?;
                Ok::<_, E>(Entry {
                    value: Arc::new(value),
                    weight: u32::try_from(size).unwrap_or(u32::MAX).saturating_add(64),
                })
            })
            .await
            .map_err(|shared| (*shared).clone())?;
        match entry.value.downcast_ref::<T>() {
            Some(value) => Ok(value.clone()),
            None => Err(mismatch()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::plugin::{Diagnostic, Diagnostics};

    fn mismatch() -> Diagnostics {
        Diagnostic::error("mismatch", "another type").into()
    }

    #[tokio::test]
    async fn concurrent_identical_reads_share_one_fetch_and_later_ones_reuse_it() {
        let cache = ResponseCache::new();
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for n in 0..50 {
            let cache = cache.clone();
            let fetches = Arc::clone(&fetches);
            tasks.push(tokio::spawn(async move {
                let key = format!("/c/{}", n % 5);
                cache
                    .get_or_fetch(
                        key.clone(),
                        async move {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok((key, 10))
                        },
                        mismatch,
                    )
                    .await
            }));
        }
        for (n, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap().unwrap(), format!("/c/{}", n % 5));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 5);
        let again: String = cache
            .get_or_fetch(
                "/c/1".to_string(),
                async { Ok(("other".to_string(), 1)) },
                mismatch,
            )
            .await
            .unwrap();
        assert_eq!(again, "/c/1");
    }

    #[tokio::test]
    async fn failures_are_not_kept() {
        let cache = ResponseCache::new();
        let failed: Result<u32, _> = cache
            .get_or_fetch(
                "/x".to_string(),
                async { Err(Diagnostic::error("boom", "detail").into()) },
                mismatch,
            )
            .await;
        assert_eq!(failed.unwrap_err().0[0].summary, "boom");
        let ok: u32 = cache
            .get_or_fetch("/x".to_string(), async { Ok((7, 1)) }, mismatch)
            .await
            .unwrap();
        assert_eq!(ok, 7);
    }

    #[tokio::test]
    async fn a_cancelled_fetch_lets_the_next_reader_fetch() {
        let cache = ResponseCache::new();
        let slow = cache.get_or_fetch(
            "/s".to_string(),
            async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok((1_u32, 1))
            },
            mismatch,
        );
        assert!(tokio::time::timeout(Duration::from_millis(20), slow)
            .await
            .is_err());
        let value: u32 = cache
            .get_or_fetch("/s".to_string(), async { Ok((2, 1)) }, mismatch)
            .await
            .unwrap();
        assert_eq!(value, 2);
    }

    #[tokio::test]
    async fn a_type_mismatch_is_an_error_not_a_panic() {
        let cache = ResponseCache::new();
        let _: u32 = cache
            .get_or_fetch("/t".to_string(), async { Ok((1, 1)) }, mismatch)
            .await
            .unwrap();
        let wrong: Result<String, _> = cache
            .get_or_fetch(
                "/t".to_string(),
                async { Ok(("x".to_string(), 1)) },
                mismatch,
            )
            .await;
        assert!(wrong.is_err());
    }
}
