"""Course completion: records, waivers, certificates, the what's-missing checklist and reminders."""
