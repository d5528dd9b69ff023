# The engine's image: `tars-eval serve` by default; the worker and the migration Job run the
# same image with other arguments (deploy/base). Build: docker build -t tars-eval:0.1.0 .

# --- build: dependencies, TypeScript and the WebAssembly kernels --------------------------
FROM node:20-slim AS build
WORKDIR /app
# .puppeteerrc.cjs keeps the diagram renderer's browser download out of the install.
COPY package.json package-lock.json .puppeteerrc.cjs ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build-wasm.mjs scripts/copy-assets.mjs ./scripts/
COPY src ./src
RUN npm run build && npm prune --omit=dev && npm cache clean --force

# --- runtime: production dependencies and dist/ only, as an unprivileged user -------------
FROM node:20-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8099 \
    METRICS_PORT=9464 \
    TARS_DATA_DIR=/tmp/tars
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# A numeric user, so that Kubernetes can verify runAsNonRoot; the files stay root-owned and
# read-only to it.
USER 10001:10001
EXPOSE 8099 9464
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
