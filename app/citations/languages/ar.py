"""Arabic."""

from . import Language

LANGUAGE = Language(
    code="ar",
    verbs={
        "وإذ تشير إلى": "recall", "وإذ تشير أيضا إلى": "recall", "تشير إلى": "recall",
        "وإذ تعيد تأكيد": "reaffirm", "تعيد تأكيد": "reaffirm", "وإذ تلاحظ": "note",
        "وإذ تحيط علما": "note", "تحيط علما": "note", "وإذ ترحب": "welcome", "ترحب": "welcome",
        "وإذ تضع في اعتبارها": "bear_in_mind", "وإذ تسلم": "other", "وإذ تؤكد": "other",
        "وقد نظرت": "other", "تطلب": "other", "تدعو": "other", "تقرر": "other", "تشجع": "other",
    },
    anchors=(r"(?:إن\s+)?الجمعية\s+العامة", r"(?:إن\s+)?مجلس\s+الأمن"),
    annexes=(r"المرفق",),
    resolution=r"القرارات?",
    resolution_in_lists=False,
    list_joiners=("و",),
    script=r"[\u0600-\u06ff]",
)
