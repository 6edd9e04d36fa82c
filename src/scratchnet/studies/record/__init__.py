"""The record study: a ladder of recipes for one network, chosen on validation data, the
chosen one scored once on the test part (:mod:`scratchnet.studies.record.config`,
:mod:`scratchnet.studies.record.study`, :mod:`scratchnet.studies.record.summary`)."""
