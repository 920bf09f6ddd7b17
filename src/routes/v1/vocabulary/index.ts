import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ACCOUNT_TYPES } from '../../../domain/account-types.js';
import { AIPREF_VOCABULARY, OTHER_OWN_PURPOSES, OWN_TRAINING_PURPOSES, PURPOSE_AIPREF, PURPOSES } from '../../../domain/purposes.js';
import { AccountTypeList, PurposeList } from '../../../schemas/responses.js';
import { NOT_MODIFIED, ok, problems } from '../common.js';

const tags = ['Vocabulary'];

/** Reference data: the terms the answers are written in. Built once; it changes only with the code. */
export const vocabularyRoutes: FastifyPluginAsyncZod = async (app) => {
  const accountTypes = { data: ACCOUNT_TYPES.map((t) => ({ ...t })) };
  const purposes = {
    data: PURPOSES.map((code) => ({
      code,
      decidesHeadline: OWN_TRAINING_PURPOSES.has(code)
        ? ('yes' as const)
        : OTHER_OWN_PURPOSES.has(code)
          ? ('fallback' as const)
          : ('no' as const),
      aiPrefCategories: [...PURPOSE_AIPREF[code]],
    })),
    aiPrefVocabulary: { ...AIPREF_VOCABULARY },
  };
  app.get(
    '/account-types',
    {
      schema: {
        operationId: 'listAccountTypes',
        summary: 'Account types',
        description: 'The kinds of account (`accountType`) a question may carry and facts may be scoped to.',
        tags,
        security: [],
        response: { 200: ok(AccountTypeList), 304: NOT_MODIFIED, ...problems(429, 503) },
      },
    },
    async (_request, reply) => reply.sendCachedJson('account-types', false, () => accountTypes),
  );
  app.get(
    '/purposes',
    {
      schema: {
        operationId: 'listPurposes',
        summary: 'Purposes and the headline rule',
        description:
          'Every purpose a setting may name, whether it decides the headline `trainingByDefault`, and the IETF AI Preferences categories it maps to.',
        tags,
        security: [],
        response: { 200: ok(PurposeList), 304: NOT_MODIFIED, ...problems(429, 503) },
      },
    },
    async (_request, reply) => reply.sendCachedJson('purposes', false, () => purposes),
  );
};
