# The survey a customer gets: the email, the survey page, the thank-you page and the
# unsubscribe pages. One file per language (locales/<language>/survey.ftl), every message in
# every file: a test fails when a translation is missing or has a message no other file has.
#
# Variables: $brand (the name customers know the sender by), $offer (the offer as
# `offer-titled` or `offer-untitled` word it), $title (the offer's title), $score (0–10),
# $days (days since the first email), $limit (a number of characters), $address (an email
# address). Numbers are written in Latin digits in every language (see README "Surveys").

## The offer, as the other messages name it

offer-titled = “{ $title }”
offer-untitled = our recent offer

## The email

email-subject = { $brand }: one question about { $offer }
email-subject-reminder = Reminder — { $brand }: one question about { $offer }
email-title = One question
email-greeting = Hi,
email-reminder-opening = A short reminder: we asked for your opinion { $days ->
    [one] yesterday
   *[other] { $days } days ago
}, in case that email got buried.
email-intro = You recently looked at { $offer } from { $brand }. One question, one click:
email-score-label = { $score } out of 10
email-scale-ends = 0 = not at all likely, 10 = extremely likely
email-unsubscribe = No more of these surveys

## The survey page

survey-title = One question
survey-question = How likely are you to recommend { $brand } to a friend or colleague?
survey-about = About { $offer } from { $brand }.
survey-score-legend = Your score, from 0 (not at all likely) to 10 (extremely likely)
survey-end-low = Not at all likely
survey-end-high = Extremely likely
survey-reason-legend = Were you able to use the offer? (optional)
reason-used = Yes, I used it
reason-location_closed = The branch or store was closed
reason-unavailable = What I wanted was not available
reason-offer_ended = The offer had ended
reason-did_not_try = I did not try
reason-other = Something else
survey-comment-label = Anything you would like to tell us? (optional)
survey-send = Send
survey-error-no-score = Please choose a score from 0 to 10.
survey-error-comment-too-long = Please keep the comment under { $limit ->
    [one] { $limit } character
   *[other] { $limit } characters
}.
survey-error-unknown-reason = Please choose one of the answers offered about using the offer.
survey-error-too-long = That was too long to send.

## After an answer

thanks-title = Thank you
thanks-heading = Thank you
thanks-body = { $brand } got your answer ({ $score } out of 10). You can change it from the same link at any time.

## Unsubscribing

unsubscribe-title = Unsubscribe
unsubscribe-heading = No more surveys?
unsubscribe-body = We will not ask { $address } for feedback again.
unsubscribe-button = Unsubscribe
unsubscribed-title = Unsubscribed
unsubscribed-heading = You are unsubscribed
unsubscribed-body = You will not get these surveys again.

## A link that is not (or no longer) valid

not-found-title = Link not found
not-found-heading = This link is not valid
not-found-body = It may have been copied incompletely.
