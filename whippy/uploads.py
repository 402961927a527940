"""Uploads stay in memory, never in a temporary file: a CSV of SIP users holds passwords, and a
file on disk could outlive the request. Past settings.UPLOAD_MAX_BYTES the rest of a file is
read and dropped, and the file is marked too_large for the form to say so."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.core.files.uploadhandler import StopFutureHandlers


class MemoryOnlyUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.file = io.BytesIO()
        self.too_large = False
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > settings.UPLOAD_MAX_BYTES:
            self.too_large = True
            self.file = io.BytesIO()
        if not self.too_large:
            self.file.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.file.seek(0)
        upload = InMemoryUploadedFile(
            self.file,
            self.field_name,
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )
        upload.too_large = self.too_large
        return upload
