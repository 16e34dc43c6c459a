//! The one sending loop of every outbox — survey emails, reminders, alerts: claim (committed
//! before anything is sent), send, record how it ended, per the life `domain::outbox` gives
//! anything the service sends on its own. An outbox says how its items are claimed, sent and
//! recorded ([`Outbox`]); [`deliver`] runs it.
//!
//! Delivery runs `concurrency` workers, each sending one item at a time. A worker claims its
//! next item only when its previous send has ended, so at most `concurrency` are ever
//! claimed-but-unsent. An item found claimed by a run that did not finish is settled first
//! (`Outbox::abandon`), never simply sent again: a duplicate is worse than a missing one.
//!
//! The workers' claims go through a group commit: a worker hands over the outcome of its
//! previous send with its request for the next item, and whichever worker gets the turn to
//! commit serves every request waiting, in one call to `Outbox::finish_and_claim`. On SQLite,
//! whose single writer makes each commit the bottleneck, one commit then serves several sends
//! instead of one.
use crate::domain::{SendError, SendOutcome, SendReport};
use crate::store::StoreError;
use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// One outbox: where its items are claimed and recorded, and how one is sent.
#[async_trait]
pub trait Outbox: Send + Sync + 'static {
    type Item: Send + 'static;
    /// What one item is, for the logs ("survey email", "reminder", "alert").
    const WHAT: &'static str;

    fn id(item: &Self::Item) -> &str;

    /// Settles what a run other than `run` left claimed-but-unfinished; returns how many.
    async fn abandon(&self, run: &str) -> Result<u64, StoreError>;

    /// Records how the `finished` sends ended and claims up to `wanted` due items for `run`,
    /// committed before it returns.
    async fn finish_and_claim(
        &self,
        run: &str,
        finished: &[(String, SendOutcome)],
        wanted: u32,
    ) -> Result<Vec<Self::Item>, StoreError>;

    /// One attempt to send `item`.
    async fn send(&self, item: &Self::Item) -> Result<(), SendError>;

    /// How an attempt that ended in `result` is recorded (the outbox's retry policy).
    fn outcome(&self, item: &Self::Item, result: Result<(), SendError>) -> SendOutcome;
}

/// Sends everything due in `outbox`, `concurrency` at a time, until nothing is due — or until
/// `stop` fires: then nothing more is claimed, and the sends in flight finish and are recorded.
pub async fn deliver<O: Outbox>(
    outbox: Arc<O>,
    run: &str,
    concurrency: usize,
    stop: &CancellationToken,
) -> anyhow::Result<SendReport> {
    let abandoned = outbox.abandon(run).await?;
    if abandoned > 0 {
        tracing::warn!(
            abandoned,
            what = O::WHAT,
            "items left mid-send by an earlier run were settled and will not be sent again as they were"
        );
    }
    let commits = Arc::new(GroupCommit {
        outbox: outbox.clone(),
        run: run.to_owned(),
        stop: stop.clone(),
        pending: Mutex::new(Vec::new()),
        turn: tokio::sync::Mutex::new(()),
        failed: Mutex::new(None),
    });
    // Each worker is a task of its own: the runtime spreads them over its threads. Dropping
    // this future (a shutdown) aborts them all; their claims are settled by the next run.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        tasks.spawn(worker(commits.clone()).instrument(tracing::Span::current()));
    }
    // Every task runs to its end before an error is reported: a failing worker does not cut
    // the others off mid-send.
    let mut report = SendReport {
        abandoned,
        ..SendReport::default()
    };
    let mut first_error = None;
    while let Some(ended) = tasks.join_next().await {
        match ended.map_err(anyhow::Error::from).and_then(|result| result) {
            Ok(worked) => report.add(&worked),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

/// Sends one item at a time: hands the group commit the outcome of the previous send, waits
/// for its next claimed item, sends it; stops when nothing is due.
async fn worker<O: Outbox>(commits: Arc<GroupCommit<O>>) -> anyhow::Result<SendReport> {
    let outbox = &commits.outbox;
    let mut report = SendReport::default();
    let mut previous: Option<(String, SendOutcome)> = None;
    while let Some(item) = commits.next(previous.take()).await? {
        let result = outbox.send(&item).await;
        // lettre hands the SMTP connection back to its pool in a task of its own: let it run
        // before this worker claims and sends again, or the worker — whose claim may commit
        // without ever yielding — finds the pool empty and opens another connection.
        tokio::task::yield_now().await;
        let outcome = outbox.outcome(&item, result);
        report.count(&outcome);
        let id = O::id(&item);
        match &outcome {
            SendOutcome::Sent => {}
            SendOutcome::Retry { error, .. } => {
                tracing::warn!(id, what = O::WHAT, %error, "not delivered; due again later");
            }
            SendOutcome::Failed { error } => {
                tracing::warn!(id, what = O::WHAT, %error, "not delivered, for good");
            }
        }
        previous = Some((id.to_owned(), outcome));
    }
    Ok(report)
}

/// A worker's request to the group commit: how its previous send ended, and where to hand it
/// its next item (`None`: nothing is due, stop).
struct ClaimRequest<T> {
    finished: Option<(String, SendOutcome)>,
    reply: oneshot::Sender<Option<T>>,
}

/// The sending workers' group commit. A worker that needs its next item adds its request (with
/// the outcome of its previous send) to `pending` and then either its answer arrives, or it
/// gets the turn to commit first: then it takes every request pending — its own, and those of
/// the workers that arrived while the last commit ran — and serves them all at once. The
/// commit runs in the worker's own task, so neither the request nor the answer waits for
/// another task to be scheduled; only the workers it served are woken.
struct GroupCommit<O: Outbox> {
    outbox: Arc<O>,
    run: String,
    /// Once it fires, commits record outcomes and claim nothing.
    stop: CancellationToken,
    pending: Mutex<Vec<ClaimRequest<O::Item>>>,
    turn: tokio::sync::Mutex<()>,
    /// Set when a commit failed: every worker stops (what they claimed is settled by the next
    /// run).
    failed: Mutex<Option<String>>,
}

impl<O: Outbox> GroupCommit<O> {
    /// Records how the worker's previous send ended and claims its next item (`None`: nothing
    /// is due).
    async fn next(
        &self,
        finished: Option<(String, SendOutcome)>,
    ) -> anyhow::Result<Option<O::Item>> {
        self.check_failed()?;
        let (reply, mut answer) = oneshot::channel();
        lock(&self.pending).push(ClaimRequest { finished, reply });
        loop {
            tokio::select! {
                biased;
                answer = &mut answer => {
                    return match answer {
                        Ok(claimed) => Ok(claimed),
                        Err(_) => {
                            self.check_failed()?;
                            Err(anyhow::anyhow!("a claim commit of {}s ended without an answer", O::WHAT))
                        }
                    };
                }
                _turn = self.turn.lock() => {
                    let batch = std::mem::take(&mut *lock(&self.pending));
                    if !batch.is_empty() {
                        self.commit(batch).await?;
                    }
                }
            }
        }
    }

    async fn commit(&self, mut batch: Vec<ClaimRequest<O::Item>>) -> anyhow::Result<()> {
        let finished: Vec<(String, SendOutcome)> =
            batch.iter_mut().filter_map(|r| r.finished.take()).collect();
        let wanted = if self.stop.is_cancelled() {
            0
        } else {
            u32::try_from(batch.len()).unwrap_or(u32::MAX)
        };
        let claimed = match self
            .outbox
            .finish_and_claim(&self.run, &finished, wanted)
            .await
        {
            Ok(claimed) => claimed,
            Err(e) => {
                // The requests are dropped unanswered: their workers see the failure.
                *lock(&self.failed) = Some(e.to_string());
                return Err(e.into());
            }
        };
        let mut claimed = claimed.into_iter();
        for request in batch {
            // A worker that has gone away took nothing: its claim, if any, is settled later.
            let _ = request.reply.send(claimed.next());
        }
        Ok(())
    }

    fn check_failed(&self) -> anyhow::Result<()> {
        match lock(&self.failed).as_ref() {
            Some(e) => Err(anyhow::anyhow!(
                "a claim commit of {}s failed: {e}",
                O::WHAT
            )),
            None => Ok(()),
        }
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An outbox in memory: `due` items, the first `transient` sends fail for now once.
    struct Memory {
        due: Mutex<Vec<String>>,
        in_flight: AtomicUsize,
        most_in_flight: AtomicUsize,
        recorded: Mutex<Vec<(String, SendOutcome)>>,
        fail_once: Mutex<Vec<String>>,
        stop_after: Option<(usize, CancellationToken)>,
        /// How many were recorded when `stop` fired.
        recorded_at_stop: AtomicUsize,
    }

    impl Memory {
        fn new(n: usize, fail_once: &[&str]) -> Self {
            Self {
                due: Mutex::new((0..n).rev().map(|i| format!("item-{i}")).collect()),
                in_flight: AtomicUsize::new(0),
                most_in_flight: AtomicUsize::new(0),
                recorded: Mutex::new(Vec::new()),
                fail_once: Mutex::new(fail_once.iter().map(|s| s.to_string()).collect()),
                stop_after: None,
                recorded_at_stop: AtomicUsize::new(0),
            }
        }
    }

    #[async_trait]
    impl Outbox for Memory {
        type Item = String;
        const WHAT: &'static str = "test item";

        fn id(item: &String) -> &str {
            item
        }

        async fn abandon(&self, _run: &str) -> Result<u64, StoreError> {
            Ok(0)
        }

        async fn finish_and_claim(
            &self,
            _run: &str,
            finished: &[(String, SendOutcome)],
            wanted: u32,
        ) -> Result<Vec<String>, StoreError> {
            self.in_flight.fetch_sub(finished.len(), Ordering::SeqCst);
            lock(&self.recorded).extend(finished.iter().cloned());
            let mut due = lock(&self.due);
            let take = (wanted as usize).min(due.len());
            let claimed: Vec<String> = (0..take).filter_map(|_| due.pop()).collect();
            let now = self.in_flight.fetch_add(claimed.len(), Ordering::SeqCst) + claimed.len();
            self.most_in_flight.fetch_max(now, Ordering::SeqCst);
            Ok(claimed)
        }

        async fn send(&self, item: &String) -> Result<(), SendError> {
            tokio::task::yield_now().await;
            // Held while the stop fires: nothing is recorded (nor claimed with it) between
            // the count and the stop.
            let recorded = lock(&self.recorded);
            if let Some((after, stop)) = &self.stop_after
                && recorded.len() >= *after
                && !stop.is_cancelled()
            {
                self.recorded_at_stop
                    .store(recorded.len(), Ordering::SeqCst);
                stop.cancel();
            }
            drop(recorded);
            let mut failing = lock(&self.fail_once);
            match failing.iter().position(|f| f == item) {
                Some(i) => {
                    failing.remove(i);
                    Err(SendError::Transient("try later".into()))
                }
                None => Ok(()),
            }
        }

        fn outcome(&self, _: &String, result: Result<(), SendError>) -> SendOutcome {
            match result {
                Ok(()) => SendOutcome::Sent,
                Err(e) => SendOutcome::Retry {
                    at: chrono::Utc::now(),
                    error: e.to_string(),
                },
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_item_is_sent_once_and_recorded_never_more_than_the_concurrency_in_flight() {
        let memory = Arc::new(Memory::new(200, &["item-7", "item-150"]));
        let report = deliver(memory.clone(), "run", 4, &CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(
            report,
            SendReport {
                sent: 198,
                retrying: 2,
                failed: 0,
                abandoned: 0
            }
        );
        let mut recorded: Vec<String> = lock(&memory.recorded)
            .iter()
            .map(|(id, _)| id.clone())
            .collect();
        recorded.sort();
        recorded.dedup();
        assert_eq!(recorded.len(), 200, "each item recorded exactly once");
        assert!(memory.most_in_flight.load(Ordering::SeqCst) <= 4);
        assert_eq!(memory.in_flight.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn after_stop_nothing_more_is_claimed_and_what_was_sent_is_recorded() {
        let stop = CancellationToken::new();
        let mut memory = Memory::new(1000, &[]);
        memory.stop_after = Some((20, stop.clone()));
        let memory = Arc::new(memory);
        let report = deliver(memory.clone(), "run", 3, &stop).await.unwrap();
        let recorded = lock(&memory.recorded).len() as u64;
        assert_eq!(report.sent, recorded, "every send in flight was recorded");
        let at_stop = memory.recorded_at_stop.load(Ordering::SeqCst) as u64;
        assert!(at_stop >= 20);
        // What the workers held when it fired, and nothing more: per worker (3), a send that
        // had ended but was not recorded yet, and the one item a commit begun before the stop
        // claimed for it (the commit decides how many to claim before it writes).
        assert!(
            recorded <= at_stop + 2 * 3,
            "{recorded} recorded, {at_stop} at the stop"
        );
        assert_eq!(lock(&memory.due).len() as u64, 1000 - recorded);
    }
}
