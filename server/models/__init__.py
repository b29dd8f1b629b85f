"""Model backends as a whole: the process-wide load cache (:mod:`.cache`), the registry of every backend's
checkpoint (:mod:`.registry`) and the ``wave models`` command (:mod:`.cli`)."""
