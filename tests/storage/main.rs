//! One storage suite, run against both backends: every test below is instantiated once for
//! SQLite (always) and once for PostgreSQL (when `PROMISEGUARD_TEST_POSTGRES_URL` names a
//! server; otherwise each PostgreSQL test says on stderr that it was skipped).
mod alerts;
mod answers;
mod changes;
mod checks;
mod clickers;
mod clicks;
mod complaints;
mod engagement;
mod erasure;
mod exemptions;
mod export;
mod fixtures;
mod identities;
mod invitations;
mod leases;
mod quotas;
mod recipients;
mod reminders;
mod responses;
mod retention;
mod reviews;
mod schema;
mod secrets;
#[path = "../support/mod.rs"]
mod support;
mod watch;

/// Instantiates each listed test (an `async fn(SqlStore)`) for both backends.
macro_rules! storage_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = crate::support::databases::sqlite().await;
                    crate::cases::$name(db.store.clone()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    match crate::support::databases::postgres().await {
                        Some(db) => {
                            crate::cases::$name(db.store.clone()).await;
                            db.drop_database().await;
                        }
                        None => crate::support::databases::skipped(stringify!($name)),
                    }
                }
            )*
        }
    };
}

storage_suite!(
    story_of_a_campaign_checked_twice,
    idempotency_records_replay_the_first_answer,
    concurrent_deliveries_of_one_key_store_one_check,
    concurrent_distinct_writes_all_land,
    migrations_apply_twice_without_harm,
    unique_keys_hold_in_the_schema,
    findings_are_new_only_when_the_previous_check_lacked_them,
    live_campaigns_are_those_whose_window_is_open,
    live_campaigns_come_in_pages_by_id,
    a_tick_is_leased_once_and_a_dead_holder_expires,
    events_are_idempotent_and_feed_the_sweep,
    invitations_are_unique_claimed_once_and_answered,
    claims_are_group_committed_with_the_outcomes_of_finished_sends,
    an_invitations_language_is_kept_from_queue_to_claim_and_reminder,
    a_queued_invitation_keeps_what_the_sweep_chose_whatever_its_characters,
    claims_take_the_due_invitations_earliest_first_and_only_queued_ones,
    failed_or_cancelled_writes_leave_nothing_behind_and_writing_goes_on,
    reviews_are_kept_and_carry_over_until_resolved,
    bulk_reviews_are_all_or_nothing,
    exemptions_are_active_until_they_expire_or_are_revoked,
    an_exempted_finding_is_kept_with_it_but_alerts_nobody_and_is_not_open,
    an_override_without_a_note_is_refused_by_the_schema,
    the_campaign_list_filters_and_pages_newest_first,
    alerts_are_queued_once_per_new_block_finding_and_claimed_once,
    a_detractor_of_a_broken_promise_is_alerted_once_per_destination,
    a_reminder_goes_once_and_only_to_a_silent_invitee,
    a_persons_data_is_found_by_address_whatever_its_case,
    an_erased_address_is_nowhere_in_the_schema_or_the_files,
    retention_removes_what_is_old_and_keeps_every_aggregate,
    survey_answers_split_by_broken_and_kept_promises,
    reasons_are_kept_with_answers_and_counted_per_campaign_and_side,
    a_secret_is_made_once_and_then_always_read_back,
    checks_written_in_batches_are_stored_as_one_by_one,
    a_shared_quota_paces_requests_and_pauses_for_everyone,
    stored_addresses_are_folded_once_and_what_collides_is_merged,
    a_one_time_token_goes_with_one_event_and_expires,
    a_reactivation_lifts_a_providers_suppression_but_not_a_survey_unsubscribe,
    a_watched_campaign_is_remembered_and_acted_on_once,
    a_scheduled_check_fixed_before_the_send_broke_nothing,
    clicks_keep_their_promise_and_are_read_again_in_pages,
    clicks_are_judged_from_the_checks_around_them_and_clickers_are_counted,
    a_campaign_taken_off_the_schedule_is_not_live_until_read_again,
    findings_are_exported_in_keyset_pages_by_check_time,
    dashboard_panels_count_what_their_lists_show,
    a_suppression_withdraws_the_invitations_waiting_for_its_address,
    a_complaint_counts_once_and_only_against_a_survey_to_its_address,
    one_pause_is_open_at_a_time_with_its_alert_and_a_resume_keeps_who_and_why,
    a_response_is_queued_with_its_answer_and_forgotten_once_delivered,
    old_complaints_are_deleted_with_old_events,
    a_pushed_change_is_taken_once_and_a_stale_one_never,
    changes_are_claimed_together_once_the_oldest_has_waited,
);

/// Every case, whichever concern's file it is written in.
mod cases {
    pub use crate::alerts::*;
    pub use crate::answers::*;
    pub use crate::changes::*;
    pub use crate::checks::*;
    pub use crate::clickers::*;
    pub use crate::clicks::*;
    pub use crate::complaints::*;
    pub use crate::engagement::*;
    pub use crate::erasure::*;
    pub use crate::exemptions::*;
    pub use crate::export::*;
    pub use crate::identities::*;
    pub use crate::invitations::*;
    pub use crate::leases::*;
    pub use crate::quotas::*;
    pub use crate::recipients::*;
    pub use crate::reminders::*;
    pub use crate::responses::*;
    pub use crate::retention::*;
    pub use crate::reviews::*;
    pub use crate::schema::*;
    pub use crate::secrets::*;
    pub use crate::watch::*;
}
