# نظرسنجی‌ای که به مشتری می‌رسد: ایمیل، صفحهٔ نظرسنجی، صفحهٔ سپاس و صفحه‌های لغو اشتراک.
# The Persian catalog. Same message ids and variables as locales/en/survey.ftl; Persian has two
# plural categories (one, other), and a noun after a number stays singular.

## The offer, as the other messages name it

offer-titled = «{ $title }»
offer-untitled = پیشنهاد اخیر ما

## The email

email-subject = { $brand }: یک پرسش دربارهٔ { $offer }
email-subject-reminder = یادآوری — { $brand }: یک پرسش دربارهٔ { $offer }
email-title = یک پرسش
email-greeting = سلام،
email-reminder-opening = یک یادآوری کوتاه: { $days ->
    [one] دیروز
   *[other] { $days } روز پیش
} نظرتان را پرسیده بودیم؛ شاید آن ایمیل لابه‌لای ایمیل‌های دیگر گم شده باشد.
email-intro = به‌تازگی { $offer } از { $brand } را دیدید. یک پرسش، با یک کلیک:
email-score-label = { $score } از 10
email-scale-ends = 0 = اصلاً احتمال ندارد، 10 = به احتمال خیلی زیاد
email-unsubscribe = دیگر این نظرسنجی‌ها را نمی‌خواهم

## The survey page

survey-title = یک پرسش
survey-question = چقدر احتمال دارد { $brand } را به یک دوست یا همکار پیشنهاد کنید؟
survey-about = دربارهٔ { $offer } از { $brand }.
survey-score-legend = امتیاز شما، از 0 (اصلاً احتمال ندارد) تا 10 (به احتمال خیلی زیاد)
survey-end-low = اصلاً احتمال ندارد
survey-end-high = به احتمال خیلی زیاد
survey-reason-legend = توانستید از پیشنهاد استفاده کنید؟ (اختیاری)
reason-used = بله، استفاده کردم
reason-location_closed = شعبه یا فروشگاه بسته بود
reason-unavailable = آنچه می‌خواستم موجود نبود
reason-offer_ended = مهلت پیشنهاد تمام شده بود
reason-did_not_try = امتحان نکردم
reason-other = دلیل دیگری
survey-comment-label = چیزی هست که بخواهید به ما بگویید؟ (اختیاری)
survey-send = ارسال
survey-error-no-score = لطفاً امتیازی از 0 تا 10 انتخاب کنید.
survey-error-comment-too-long = لطفاً نظرتان را در کمتر از { $limit } نویسه بنویسید.
survey-error-unknown-reason = لطفاً یکی از پاسخ‌های پیشنهادشده دربارهٔ استفاده از پیشنهاد را انتخاب کنید.
survey-error-too-long = متن برای ارسال بیش از حد طولانی بود.

## After an answer

thanks-title = سپاس‌گزاریم
thanks-heading = سپاس‌گزاریم
thanks-body = { $brand } پاسخ شما را دریافت کرد ({ $score } از 10). هر زمان بخواهید می‌توانید از همان پیوند آن را تغییر دهید.

## Unsubscribing

unsubscribe-title = لغو اشتراک
unsubscribe-heading = دیگر نظرسنجی نمی‌خواهید؟
unsubscribe-body = دیگر از { $address } نظرخواهی نمی‌کنیم.
unsubscribe-button = لغو اشتراک
unsubscribed-title = اشتراک لغو شد
unsubscribed-heading = اشتراک شما لغو شد
unsubscribed-body = دیگر این نظرسنجی‌ها را دریافت نمی‌کنید.

## A link that is not (or no longer) valid

not-found-title = پیوند پیدا نشد
not-found-heading = این پیوند معتبر نیست
not-found-body = شاید به‌طور کامل کپی نشده باشد.
