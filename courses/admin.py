"""The media of a course in the admin: uploads checked and stored as the importer
checks and stores a file of media/. The course page that shows them (with its
lessons and translations) is authoring.admin's."""

from django import forms
from django.conf import settings
from django.contrib import admin

from courses import storage as media_storage
from courses.media import MediaProblem, check_media, check_size, path_problem
from courses.models import MediaFile
from courses.storage import store_media


class MediaFileForm(forms.ModelForm):
    """An upload is checked as the importer checks a file of media/ (type from the
    content, size, wide images scaled down); its path defaults to media/<its name>.
    Its file is written while the form is validated, so a full disk is an error on
    the form; it is placed when the form is saved (courses.storage)."""

    upload = forms.FileField(
        required=False,
        help_text=f"PNG, JPEG, GIF, WebP, PDF or .txt, at most "
        f"{settings.LESSON_MEDIA_MAX_BYTES / 2**20:g} MiB; wider images are scaled to "
        f"{settings.LESSON_IMAGE_MAX_WIDTH} pixels.",
    )

    class Meta:
        model = MediaFile
        fields = ["upload", "path"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["path"].required = False
        self.checked = None
        self.staged = None

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("upload")
        if upload is None and self.instance.pk is None:
            raise forms.ValidationError({"upload": "Choose a file to upload."})
        if upload is not None:
            try:
                check_size(upload.size)  # before reading it
                self.checked = check_media(upload.name, upload.read())
            except MediaProblem as problem:
                raise forms.ValidationError({"upload": str(problem)}) from None
        path = data.get("path") or (f"media/{upload.name}" if upload is not None else "")
        if problem := path_problem(path):
            raise forms.ValidationError({"path": f"{path}: {problem}"})
        taken = MediaFile.objects.filter(course_id=self.instance.course_id, path=path)
        if self.instance.course_id and taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                {"path": f"{path} is already a file of this course: upload on its row instead"}
            )
        data["path"] = path
        if self.checked is not None:
            try:
                self.staged = media_storage.write(path, self.checked.data)
            except media_storage.StorageFailed as failed:
                raise forms.ValidationError({"upload": str(failed)}) from None
        return data

    def save(self, commit: bool = True) -> MediaFile:
        media = super().save(commit=False)
        if self.checked is not None:
            store_media(media, self.checked, self.staged)  # saves
        elif commit:
            media.save()
        return media


class MediaFileInline(admin.TabularInline):
    """Images and documents lessons show or link to as media/<name>."""

    model = MediaFile
    form = MediaFileForm
    fields = ["path", "upload", "content_type", "size", "width", "height"]
    readonly_fields = ["content_type", "size", "width", "height"]
    extra = 0
