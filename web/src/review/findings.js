// The review's findings: what the reviewers found, by category, with who wrote it and when.
// Findings are only added: a correction is a new finding that names the one it corrects. The
// form is shown to the roles that may write them (write_findings); everyone who reviews reads
// them.

import { el } from '../lib/common.js';
import { can, FINDING_CATEGORIES } from '../lib/domain.js';
import { formatDateTime, formatNumber, t, tEnum } from '../lib/i18n.js';

// The server counts characters as Unicode code points; so does this.
const MAX_LEN = 2000;
const length = (s) => [...s].length;

export class Findings {
  constructor({ list, empty, form, client, messages }) {
    Object.assign(this, { list, empty, form, client, messages });
    this.incidentId = null;
    this.items = [];
    this.category = form.querySelector('#finding-category');
    this.corrects = form.querySelector('#finding-corrects');
    this.text = form.querySelector('#finding-text');
    this.count = form.querySelector('#finding-count');
    this.submit = form.querySelector('[type="submit"]');
    this.text.addEventListener('input', () => this.counter());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.save();
    });
  }

  /** allow shows the form to a user who may write findings. */
  allow(role) { this.form.hidden = !can(role, 'write_findings'); }

  async load(incidentId) {
    this.incidentId = incidentId;
    const { findings } = await this.client.get(`/api/v1/incidents/${incidentId}/findings`);
    if (incidentId !== this.incidentId) return;
    this.items = findings;
    this.render();
  }

  clear() {
    this.incidentId = null;
    this.items = [];
    this.text.value = '';
    this.render();
  }

  render() {
    const correctedBy = new Map();
    for (const f of this.items) if (f.corrects) correctedBy.set(f.corrects, f.id);
    this.list.replaceChildren(...this.items.map((f) => el('li', {
      class: `finding finding-${f.category}`, id: `finding-${f.id}`, 'data-testid': 'finding', 'data-finding-id': f.id,
      'data-category': f.category, 'data-corrected': correctedBy.has(f.id) ? 'true' : null,
    },
    el('div', { class: 'finding-head' },
      el('span', { class: 'finding-no num' }, t('review.findings.number', { id: f.id })),
      el('span', { class: 'tag finding-category' }, t(`review.findings.categories.${f.category}`)),
      el('span', { class: 'finding-meta' }, el('bdi', { translate: 'no', class: 'finding-author' }, f.author),
        ` · ${tEnum('role', f.author_role)} · `, el('time', { datetime: f.at }, formatDateTime(f.at)))),
    f.corrects ? el('p', { class: 'finding-corrects' }, t('review.findings.correctsOne', { id: f.corrects })) : null,
    correctedBy.has(f.id) ? el('p', { class: 'finding-corrected' }, t('review.findings.correctedBy', { id: correctedBy.get(f.id) })) : null,
    // The author's own words, kept as written: evidence is not translated.
    el('p', { class: 'finding-text', 'data-testid': 'finding-text', translate: 'no' }, f.text))));
    this.empty.hidden = this.items.length > 0;
    this.options();
    this.counter();
  }

  /** options fills the category and correction choices in the current language. */
  options() {
    const category = this.category.value;
    this.category.replaceChildren(...FINDING_CATEGORIES.map((c) => el('option', { value: c }, t(`review.findings.categories.${c}`))));
    if (category) this.category.value = category;
    const corrects = this.corrects.value;
    this.corrects.replaceChildren(el('option', { value: '' }, t('review.findings.correctsNone')),
      ...this.items.map((f) => el('option', { value: f.id }, t('review.findings.correctsOption', {
        id: f.id, text: [...f.text].slice(0, 40).join('') + (length(f.text) > 40 ? '…' : ''),
      }))));
    if ([...this.corrects.options].some((o) => o.value === corrects)) this.corrects.value = corrects;
  }

  counter() {
    const n = length(this.text.value);
    this.count.textContent = t('review.findings.count', { n: formatNumber(n), max: formatNumber(MAX_LEN) });
    this.count.classList.toggle('is-over', n > MAX_LEN);
  }

  async save() {
    const id = this.incidentId;
    const text = this.text.value;
    if (!id) return;
    if (!text.trim()) {
      this.messages.error(t('review.findings.blank'));
      this.text.focus();
      return;
    }
    const body = { category: this.category.value, text };
    if (this.corrects.value) body.corrects = Number(this.corrects.value);
    this.submit.disabled = true;
    try {
      await this.client.post(`/api/v1/incidents/${id}/findings`, body);
      this.text.value = '';
      this.corrects.value = '';
      this.messages.info(t('review.findings.saved'));
      await this.load(id);
    } catch (err) {
      if (err.status !== 401) this.messages.error(t('review.findings.failed', { detail: err.message }));
    } finally {
      this.submit.disabled = false;
    }
  }
}
