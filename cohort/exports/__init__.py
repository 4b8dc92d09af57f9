"""Registry exports: CSV tables, cBioPortal study files and FHIR Genomics Reporting DiagnosticReports."""
