"""Third-party plugin hosting: LV2 through liblilv (:mod:`server.plugins.lv2`), listed by ``wave plugins``."""
