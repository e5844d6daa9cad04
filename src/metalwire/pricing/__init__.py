"""Price assessment: submissions, the assessment engine, methodology, review and release."""
