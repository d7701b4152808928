"""Lesson videos: a !video[...] line becomes a privacy-enhanced YouTube or Vimeo player;
nothing else makes an iframe, and the Content-Security-Policy frames those two only."""

from pathlib import Path

import pytest

from authoring.importing import import_content
from courses.content_errors import ContentInvalid
from courses.markdown import render_markdown
from courses.models import MediaFile
from lessons.models import Lesson
from tests.factories import make_lesson

YOUTUBE = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"


def test_a_youtube_address_becomes_a_privacy_enhanced_player():
    html = render_markdown(
        "!video[Greeting a customer](https://www.youtube.com/watch?v=dQw4w9WgXcQ)"
    )
    assert html == (
        '<div class="ratio ratio-16x9 lesson-video">'
        f'<iframe src="{YOUTUBE}" title="Greeting a customer" loading="lazy" '
        'sandbox="allow-scripts allow-same-origin allow-presentation" '
        'allow="fullscreen; picture-in-picture; encrypted-media" allowfullscreen '
        'referrerpolicy="strict-origin-when-cross-origin"></iframe></div>'
    )


@pytest.mark.parametrize(
    ("address", "player"),
    [
        ("https://youtu.be/dQw4w9WgXcQ?t=42", YOUTUBE),
        ("https://www.youtube.com/watch?feature=share&v=dQw4w9WgXcQ", YOUTUBE),
        ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", YOUTUBE),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://vimeo.com/76979871/abc123", "https://player.vimeo.com/video/76979871?h=abc123"),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871"),
    ],
)
def test_addresses_copied_from_the_sites_give_their_player(address, player):
    assert f'<iframe src="{player}"' in render_markdown(f"!video[A video]({address})")


@pytest.mark.parametrize(
    "line",
    [
        "!video[Evil](https://evil.example/embed/dQw4w9WgXcQ)",
        "!video[Sneaky](https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ)",
        "!video[Plain](http://www.youtube.com/watch?v=dQw4w9WgXcQ)",
        "!video[Script](javascript:alert(1))",
        "!video[](https://youtu.be/dQw4w9WgXcQ)",
        "Watch !video[inline](https://youtu.be/dQw4w9WgXcQ) here",
        "    !video[Code](https://youtu.be/dQw4w9WgXcQ)",
        "```\n!video[Fenced](https://youtu.be/dQw4w9WgXcQ)\n```",
    ],
)
def test_anything_but_a_video_line_from_an_allowed_host_makes_no_player(line):
    assert "<iframe" not in render_markdown(line)


@pytest.mark.parametrize(
    "text",
    [
        f'<iframe src="{YOUTUBE}"></iframe>',
        '<iframe src="https://evil.example/"></iframe>',
        f'<div><iframe src="{YOUTUBE}" srcdoc="<script>alert(1)</script>"></iframe></div>',
        f"<p>\n<iframe src='{YOUTUBE}'>\n</iframe>\n</p>",
        f'<object data="{YOUTUBE}"></object><embed src="{YOUTUBE}">',
    ],
)
def test_hand_written_frames_are_stripped(text):
    html = render_markdown(text)
    assert "<iframe" not in html and "<object" not in html and "<embed" not in html


def test_the_title_is_escaped_in_the_player():
    html = render_markdown('!video[<b onclick="x">Hi & bye](https://youtu.be/dQw4w9WgXcQ)')
    assert 'title="&lt;b onclick=&quot;x&quot;&gt;Hi &amp; bye"' in html
    assert "<b " not in html


def test_a_title_with_a_lone_angle_bracket_is_shown_as_written():
    html = render_markdown("!video[Tills <older models](https://youtu.be/dQw4w9WgXcQ)")
    assert 'title="Tills &lt;older models"' in html


def test_a_marker_cannot_be_forged_by_the_text():
    # The marker holds a secret made for each rendering: text cannot name a player.
    html = render_markdown("video0123456789abcdef0123456789abcdefn0x")
    assert "<iframe" not in html


def test_a_transcript_is_linked_below_the_player():
    html = render_markdown(
        '!video[Greeting](https://youtu.be/dQw4w9WgXcQ "transcript: https://example.com/t")'
    )
    assert html.endswith(
        '<p class="lesson-video-transcript"><a href="https://example.com/t" '
        'rel="noopener noreferrer">Transcript of the video “Greeting”</a></p>'
    )


# --- Imported ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media-root")


def content(root: Path, body: str, transcript: bool = True) -> Path:
    folder = root / "tills"
    folder.mkdir(parents=True)
    (folder / "course.md").write_text("---\ntitle: Tills\n---\nAbout.\n", encoding="utf-8")
    (folder / "01-greeting.md").write_text(f"---\ntitle: Greeting\n---\n{body}", encoding="utf-8")
    if transcript:
        (folder / "media").mkdir()
        (folder / "media" / "greeting.txt").write_text("Hello! ...\n", encoding="utf-8")
    return root


def test_an_imported_transcript_links_to_the_served_file(db, tmp_path):
    body = (
        'Intro.\n\n!video[Greeting](https://youtu.be/dQw4w9WgXcQ "transcript: '
        'media/greeting.txt")\n'
    )
    import_content(content(tmp_path, body))
    transcript = MediaFile.objects.get(path="media/greeting.txt")
    assert transcript.content_type == "text/plain; charset=utf-8"
    html = Lesson.objects.get(slug="greeting").body_html
    assert f'<a href="{transcript.url}">Transcript of the video “Greeting”</a>' in html
    assert f'<iframe src="{YOUTUBE}"' in html


def test_a_video_from_another_host_is_an_import_error_at_its_line(db, tmp_path):
    root = content(tmp_path, "Intro.\n\n!video[Greeting](https://evil.example/v/1)\n", False)
    with pytest.raises(ContentInvalid) as caught:
        import_content(root)
    (error,) = caught.value.errors
    assert str(error).startswith(
        f"{root}/tills/01-greeting.md:6: videos may come from YouTube or Vimeo only"
    )


def test_a_missing_transcript_is_an_import_error_at_its_line(db, tmp_path):
    body = '!video[Greeting](https://youtu.be/dQw4w9WgXcQ "transcript: media/none.txt")\n'
    root = content(tmp_path, body, False)
    with pytest.raises(ContentInvalid) as caught:
        import_content(root)
    (error,) = caught.value.errors
    assert str(error).startswith(
        f"{root}/tills/01-greeting.md:4: media/none.txt is not in the course's media folder"
    )


def test_the_lesson_page_shows_the_player(client, learner, course, django_assert_max_num_queries):
    lesson = make_lesson(course, 4, body_markdown="!video[Greeting](https://youtu.be/dQw4w9WgXcQ)")
    client.force_login(learner)
    with django_assert_max_num_queries(30):
        response = client.get(lesson.get_absolute_url())
    assert f'<iframe src="{YOUTUBE}" title="Greeting" loading="lazy"' in response.content.decode()


# --- Content-Security-Policy -----------------------------------------------------------


def test_the_policy_frames_the_two_video_players_only(learner_client, course):
    policy = learner_client.get(course.get_absolute_url())["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["frame-src"] == ("https://www.youtube-nocookie.com https://player.vimeo.com")
    assert directives["frame-ancestors"] == "'none'"
    assert "child-src" not in directives
