"""Recordings arriving from staff: resumable uploads (tus) before they become processing jobs."""
