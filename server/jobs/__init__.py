"""Background processing: the job rows (service), the Huey queue (queue), running one job
(runner), the worker command's consumer (worker) and the HTTP side (api, upload, pages).

The `processing_job` row is the job's truth, not the queue: see docs/jobs.md.
"""
