from django.db import models
from django.urls import reverse

from courses.markdown import render_markdown


class Course(models.Model):
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="Stable identity of the course: its folder name in content/.",
    )
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=300, blank=True)
    introduction_markdown = models.TextField("introduction", blank=True)
    introduction_html = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Rendered once here, so pages never run Markdown per request.
        self.introduction_html = render_markdown(self.introduction_markdown)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("courses:detail", args=[self.slug])
