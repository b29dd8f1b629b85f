"""Third-party plugin hosting: LV2 through liblilv (:mod:`server.plugins.lv2`), VST3 and Audio Units through
pedalboard (:mod:`server.plugins.vst3`), one slot entry for both (:mod:`server.plugins.slots`), listed by
``wave plugins``."""
