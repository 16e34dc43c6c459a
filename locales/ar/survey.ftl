# الاستبيان الذي يصل إلى العميل: الرسالة وصفحة الاستبيان وصفحة الشكر وصفحتا إلغاء الاشتراك.
# The Arabic catalog. Same message ids and variables as locales/en/survey.ftl; Arabic has six
# plural categories (zero, one, two, few, many, other), used where a number is counted.

## The offer, as the other messages name it

offer-titled = «{ $title }»
offer-untitled = عرضنا الأخير

## The email

email-subject = { $brand }: سؤال واحد عن { $offer }
email-subject-reminder = تذكير — { $brand }: سؤال واحد عن { $offer }
email-title = سؤال واحد
email-greeting = مرحبًا،
email-reminder-opening = تذكير قصير: طلبنا رأيك { $days ->
    [zero] اليوم
    [one] قبل يوم
    [two] قبل يومين
    [few] قبل { $days } أيام
    [many] قبل { $days } يومًا
   *[other] قبل { $days } يوم
}، تحسّبًا لأن تكون تلك الرسالة قد ضاعت بين رسائلك.
email-intro = اطّلعت مؤخرًا على { $offer } من { $brand }. سؤال واحد، بنقرة واحدة:
email-score-label = { $score } من 10
email-scale-ends = 0 = غير محتمل إطلاقًا، 10 = محتمل جدًا
email-unsubscribe = لا أريد المزيد من هذه الاستبيانات

## The survey page

survey-title = سؤال واحد
survey-question = ما مدى احتمال أن توصي صديقًا أو زميلًا بـ{ $brand }؟
survey-about = بخصوص { $offer } من { $brand }.
survey-score-legend = تقييمك، من 0 (غير محتمل إطلاقًا) إلى 10 (محتمل جدًا)
survey-end-low = غير محتمل إطلاقًا
survey-end-high = محتمل جدًا
survey-reason-legend = هل تمكّنت من الاستفادة من العرض؟ (اختياري)
reason-used = نعم، استفدت منه
reason-location_closed = كان الفرع أو المتجر مغلقًا
reason-unavailable = ما أردته لم يكن متوفرًا
reason-offer_ended = كان العرض قد انتهى
reason-did_not_try = لم أحاول
reason-other = سبب آخر
survey-comment-label = هل تودّ أن تخبرنا بشيء؟ (اختياري)
survey-send = إرسال
survey-error-no-score = يُرجى اختيار تقييم من 0 إلى 10.
survey-error-comment-too-long = يُرجى ألّا يتجاوز التعليق { $limit ->
    [zero] { $limit } حرف
    [one] حرفًا واحدًا
    [two] حرفين
    [few] { $limit } أحرف
    [many] { $limit } حرفًا
   *[other] { $limit } حرف
}.
survey-error-unknown-reason = يُرجى اختيار إحدى الإجابات المعروضة عن استخدام العرض.
survey-error-too-long = كان النص أطول من أن يُرسَل.

## After an answer

thanks-title = شكرًا لك
thanks-heading = شكرًا لك
thanks-body = تلقّت { $brand } إجابتك ({ $score } من 10). يمكنك تغييرها في أي وقت من الرابط نفسه.

## Unsubscribing

unsubscribe-title = إلغاء الاشتراك
unsubscribe-heading = لا مزيد من الاستبيانات؟
unsubscribe-body = لن نطلب رأي { $address } مرة أخرى.
unsubscribe-button = إلغاء الاشتراك
unsubscribed-title = تم إلغاء الاشتراك
unsubscribed-heading = تم إلغاء اشتراكك
unsubscribed-body = لن تصلك هذه الاستبيانات مرة أخرى.

## A link that is not (or no longer) valid

not-found-title = الرابط غير موجود
not-found-heading = هذا الرابط غير صالح
not-found-body = ربما نُسخ بشكل غير كامل.
