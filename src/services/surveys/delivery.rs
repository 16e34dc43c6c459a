//! Delivery runs `max_concurrent` workers, each sending one email at a time. A worker claims
//! its next invitation only when its previous send has ended, and the claim is committed before
//! SMTP is spoken — so at most `max_concurrent` are ever claimed-but-unsent. An invitation found
//! claimed by a run that did not finish becomes `unknown` and is never sent by itself: a
//! duplicate survey is worse than a missing one.
//!
//! The workers' claims go through a group commit: a worker hands over the outcome of its
//! previous send with its request for the next invitation, and whichever worker gets the turn
//! to commit serves every request waiting, in one transaction. On SQLite, whose single writer
//! makes each commit the bottleneck, one commit then serves several emails instead of one.
use super::Surveys;
use super::Wording;
use crate::domain::{RetrySchedule, SendOutcome, SendReport};
use crate::email::message::{SurveyEmail, SurveyWords, build};
use crate::email::{Mailer, SurveyLinks};
use crate::i18n::Locale;
use crate::store::{ClaimedInvitation, Store};
use chrono::Utc;
use lettre::message::Mailbox;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// A worker's request to the group commit: how its previous send ended, and where to hand it
/// its next invitation (`None`: nothing is due, stop).
struct ClaimRequest {
    finished: Option<(String, SendOutcome)>,
    reply: oneshot::Sender<Option<ClaimedInvitation>>,
}

impl Surveys {
    /// Sends every invitation due now, `max_concurrent` at a time, until none is due — or
    /// until `stop` fires: then nothing more is claimed, and the sends in flight finish and are
    /// recorded.
    #[tracing::instrument(skip_all, fields(run))]
    pub async fn deliver(&self, run: &str, stop: &CancellationToken) -> anyhow::Result<SendReport> {
        let abandoned = self.store.abandon_unfinished_sends(run).await?;
        if abandoned > 0 {
            tracing::warn!(
                abandoned,
                "invitations left mid-send by an earlier run are now `unknown` and will not be resent"
            );
        }
        let delivery = Arc::new(Delivery {
            store: self.store.clone(),
            mailer: self.mailer.clone(),
            links: self.links.clone(),
            from: self.from.clone(),
            retry: self.email.retry_schedule(),
            counts: [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
            default_brand: self.default_brand(),
            default_locale: self.surveys.default_locale.clone(),
            wordings: Mutex::new(HashMap::new()),
            words: Mutex::new(HashMap::new()),
        });
        let concurrency = self.email.max_concurrent.max(1);
        let commits = Arc::new(GroupCommit::new(
            self.store.clone(),
            run.to_owned(),
            stop.clone(),
        ));
        // Each worker is a task of its own: the runtime spreads them over its threads.
        // Dropping this future (a shutdown) aborts them all; invitations claimed by then become
        // `unknown` on the next run.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            tasks.spawn(
                delivery
                    .clone()
                    .worker(commits.clone())
                    .instrument(tracing::Span::current()),
            );
        }
        // Every task runs to its end before an error is reported: a failing worker does not cut
        // the others off mid-send.
        let mut first_error = None;
        while let Some(ended) = tasks.join_next().await {
            let ended = ended.map_err(anyhow::Error::from).and_then(|result| result);
            if let (Err(e), None) = (ended, &first_error) {
                first_error = Some(e);
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        let [sent, retrying, failed] = delivery
            .counts
            .each_ref()
            .map(|c| c.load(Ordering::Relaxed));
        Ok(SendReport {
            sent,
            retrying,
            failed,
            abandoned,
        })
    }
}

/// The email's words by (campaign, the invitation's stored locale).
type WordsByCampaign = HashMap<(String, Option<String>), Arc<SurveyWords>>;

/// What the sending workers of one delivery run share.
struct Delivery {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    links: SurveyLinks,
    from: Mailbox,
    retry: RetrySchedule,
    /// Sent, to retry, failed.
    counts: [AtomicU64; 3],
    default_brand: String,
    /// For invitations queued before languages (no `locale`).
    default_locale: Locale,
    /// Each campaign's wording, looked up once per run.
    wordings: Mutex<HashMap<String, Wording>>,
    /// The email's words for each (campaign, stored locale), formatted once per run.
    words: Mutex<WordsByCampaign>,
}

impl Delivery {
    /// The words of a campaign's email in an invitation's language, formatted once per run.
    async fn words(&self, inv: &ClaimedInvitation) -> anyhow::Result<Arc<SurveyWords>> {
        let key = (inv.campaign_id.clone(), inv.locale.clone());
        if let Some(words) = lock(&self.words).get(&key) {
            return Ok(words.clone());
        }
        let wording = self.wording(&inv.campaign_id).await?;
        let locale = Locale::choose([inv.locale.as_deref()], &self.default_locale);
        let words = Arc::new(SurveyWords::new(&wording, &locale, None));
        lock(&self.words).insert(key, words.clone());
        Ok(words)
    }

    /// A campaign's wording for the email, looked up once per run.
    async fn wording(&self, id: &str) -> anyhow::Result<Wording> {
        if let Some(w) = lock(&self.wordings).get(id) {
            return Ok(w.clone());
        }
        let wording = super::wording_of(self.store.as_ref(), id, &self.default_brand).await?;
        lock(&self.wordings).insert(id.to_owned(), wording.clone());
        Ok(wording)
    }

    /// Sends one email at a time: hands the group commit the outcome of the previous send,
    /// waits for its next claimed invitation, sends it; stops when nothing is due.
    async fn worker(self: Arc<Self>, commits: Arc<GroupCommit>) -> anyhow::Result<()> {
        let mut previous: Option<(String, SendOutcome)> = None;
        loop {
            let claimed = commits.next(previous.take()).await?;
            let Some(inv) = claimed else {
                return Ok(());
            };
            let words = self.words(&inv).await?;
            let email = SurveyEmail {
                invitation_id: &inv.id,
                recipient: &inv.recipient,
                words: &words,
            };
            let result = match build(&email, &self.from, &self.links) {
                Ok(message) => self.mailer.send(message).await,
                Err(e) => Err(crate::domain::SendError::Permanent(e)),
            };
            // lettre hands the SMTP connection back to its pool in a task of its own: let it
            // run before this worker claims and sends again, or the worker — whose claim may
            // commit without ever yielding — finds the pool empty and opens another connection.
            tokio::task::yield_now().await;
            let outcome = self.retry.outcome(inv.attempts, result, Utc::now());
            let slot = match &outcome {
                SendOutcome::Sent => 0,
                SendOutcome::Retry { error, .. } => {
                    tracing::warn!(invitation = %inv.id, attempt = inv.attempts, %error, "survey email deferred");
                    1
                }
                SendOutcome::Failed { error } => {
                    tracing::warn!(invitation = %inv.id, %error, "survey email failed");
                    2
                }
            };
            self.counts[slot].fetch_add(1, Ordering::Relaxed);
            previous = Some((inv.id, outcome));
        }
    }
}

/// The sending workers' group commit. A worker that needs its next invitation adds its request
/// (with the outcome of its previous send) to `pending` and then either its answer arrives, or
/// it gets the turn to commit first: then it takes every request pending — its own, and those of
/// the workers that arrived while the last commit ran — and serves them all with one
/// transaction. The commit runs in the worker's own task, so neither the request nor the answer
/// waits for another task to be scheduled; only the workers it served are woken.
struct GroupCommit {
    store: Arc<dyn Store>,
    run: String,
    /// Once it fires, commits record outcomes and claim nothing.
    stop: CancellationToken,
    pending: Mutex<Vec<ClaimRequest>>,
    turn: tokio::sync::Mutex<()>,
    /// Set when a commit failed: every worker stops (claimed invitations become `unknown` on
    /// the next run).
    failed: Mutex<Option<String>>,
}

impl GroupCommit {
    fn new(store: Arc<dyn Store>, run: String, stop: CancellationToken) -> Self {
        Self {
            store,
            run,
            stop,
            pending: Mutex::new(Vec::new()),
            turn: tokio::sync::Mutex::new(()),
            failed: Mutex::new(None),
        }
    }

    /// Records how the worker's previous send ended and claims its next invitation (`None`:
    /// nothing is due).
    async fn next(
        &self,
        finished: Option<(String, SendOutcome)>,
    ) -> anyhow::Result<Option<ClaimedInvitation>> {
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
                            Err(anyhow::anyhow!("a survey claim commit ended without an answer"))
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

    async fn commit(&self, mut batch: Vec<ClaimRequest>) -> anyhow::Result<()> {
        let finished: Vec<(String, SendOutcome)> =
            batch.iter_mut().filter_map(|r| r.finished.take()).collect();
        let wanted = if self.stop.is_cancelled() {
            0
        } else {
            batch.len() as u32
        };
        let claimed = self
            .store
            .finish_and_claim(&self.run, Utc::now(), &finished, wanted)
            .await;
        let claimed = match claimed {
            Ok(claimed) => claimed,
            Err(e) => {
                // The requests are dropped unanswered: their workers see the failure.
                *lock(&self.failed) = Some(e.to_string());
                return Err(e.into());
            }
        };
        let mut claimed = claimed.into_iter();
        for request in batch {
            // A worker that has gone away took nothing: its claim, if any, is `unknown` later.
            let _ = request.reply.send(claimed.next());
        }
        Ok(())
    }

    fn check_failed(&self) -> anyhow::Result<()> {
        match lock(&self.failed).as_ref() {
            Some(e) => Err(anyhow::anyhow!("a survey claim commit failed: {e}")),
            None => Ok(()),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
