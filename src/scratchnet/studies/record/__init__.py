"""The record study: a ladder of recipes for one network, chosen on validation data, the
chosen one scored once on the test part (:mod:`.config`, :mod:`.study`, :mod:`.summary`)."""
